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
    etag = quote_etag(f"{metadata['stamp']}-{fmt.key}")
    generated = datetime.datetime.fromisoformat(metadata["generated_at"])
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        content_type=fmt.content_type,
        as_attachment="inline" not in request.GET,
        filename=f"{path.stem}-{generated:%Y-%m-%d}{path.suffix}",
    )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(generated.timestamp())
    licence = settings.TOUTPRES_OPEN_DATA["LICENCE_URL"]
    response["Link"] = f'<{licence}>; rel="license"'
    patch_cache_control(response, public=True, max_age=300)
    # ConditionalGetMiddleware skips streaming responses: answer 304s here.
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Last-Modified", "Cache-Control", "Link"):
            not_modified[header] = response[header]
        response.close()
        return not_modified
    return response
