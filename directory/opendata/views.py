"""/donnees/: what the open data is, under which licence, and the files themselves."""

import datetime

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, quote_etag
from django.views.decorators.http import require_GET

from . import licences
from .build import FORMATS, filename, fresh, licence_terms, read_metadata, resolve
from .records import COLUMNS, split


def _files(licence=None) -> list[dict]:
    files = []
    for fmt in FORMATS.values():
        metadata = read_metadata(fmt, licence=licence)
        generated = datetime.datetime.fromisoformat(metadata["generated_at"]) if metadata else None
        files.append(
            {
                "format": fmt,
                "filename": filename(fmt, licence),
                "metadata": metadata,
                "generated": generated,
            }
        )
    return files


@require_GET
def index(request):
    where = split()
    separate = [
        {
            "licence": licence,
            "name": licence.label,
            "url": licences.url(licence),
            "family": licences.family_label(licence),
            "count": count,
            "sources": members,
            "files": _files(licence),
        }
        for licence, (count, members) in sorted(where.separate.items(), key=lambda i: i[0].value)
    ]
    return render(
        request,
        "directory/opendata.html",
        {
            "files": _files(),
            "separate": separate,
            "split": where,
            "columns": COLUMNS,
            "open_data": settings.TOUTPRES_OPEN_DATA,
        },
    )


@require_GET
def download(request, filename):
    found = resolve(filename)
    if found is None:
        raise Http404("Fichier inconnu.")
    fmt, licence = found
    path, metadata = fresh(fmt, licence)
    generated = datetime.datetime.fromisoformat(metadata["generated_at"])
    tag = f"{metadata['stamp']}-{fmt.key}" + (
        "" if licence is None else f"-{licences.TERMS[licence].slug}"
    )
    headers = {
        "ETag": quote_etag(tag),
        "Last-Modified": http_date(generated.timestamp()),
        "Link": f'<{licence_terms(licence)[1]}>; rel="license"',
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
