"""/donnees/: what the open data is, under which licence, and the files themselves."""

import datetime

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, quote_etag
from django.views.decorators.http import require_GET

from .build import FORMATS, fresh, read_metadata
from .records import COLUMNS


@require_GET
def index(request):
    files = []
    for fmt in FORMATS.values():
        metadata = read_metadata(fmt)
        generated = datetime.datetime.fromisoformat(metadata["generated_at"]) if metadata else None
        files.append({"format": fmt, "metadata": metadata, "generated": generated})
    return render(
        request,
        "directory/opendata.html",
        {
            "files": files,
            "columns": COLUMNS,
            "open_data": settings.TOUTPRES_OPEN_DATA,
        },
    )


@require_GET
def download(request, filename):
    fmt = next((f for f in FORMATS.values() if f.filename == filename), None)
    if fmt is None:
        raise Http404("Fichier inconnu.")
    path, metadata = fresh(fmt)
    generated = datetime.datetime.fromisoformat(metadata["generated_at"])
    headers = {
        "ETag": quote_etag(f"{metadata['stamp']}-{fmt.key}"),
        "Last-Modified": http_date(generated.timestamp()),
        "Link": f'<{settings.TOUTPRES_OPEN_DATA["LICENCE_URL"]}>; rel="license"',
    }
    # ConditionalGetMiddleware skips streaming responses: answer 304s here, before the file
    # is opened (closing an unsent response would signal the end of the request).
    if headers["ETag"] in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = FileResponse(
            open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
            content_type=fmt.content_type,
            as_attachment="inline" not in request.GET,
            filename=f"{path.stem}-{generated:%Y-%m-%d}{path.suffix}",
        )
    for name, value in headers.items():
        response[name] = value
    patch_cache_control(response, public=True, max_age=300)
    return response
