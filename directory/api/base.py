"""What every API view shares: formats, errors, paging, rate limit and cache headers."""

import math

import orjson
from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from rest_framework import exceptions, renderers, views
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.encoders import JSONEncoder

from .throttling import throttled_message


def bad_request(errors: dict) -> JsonResponse:
    """400 naming each faulty parameter: {"errors": {"radius": ["…"]}} (plain Django views)."""
    return JsonResponse(
        {"errors": {k: [str(m) for m in v] for k, v in errors.items()}},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


# What orjson does not write itself goes through DRF's encoder, so that every value is
# written as DRF writes it: dates and times (DRF's format, not orjson's), decimals, lazy
# translations, query sets.
_DRF_DEFAULT = JSONEncoder().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# U+2028 and U+2029, which DRF escapes for old JavaScript parsers: so does this renderer.
_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8 JSON, accents as they are; no charset parameter (RFC 8259).

    Written by orjson: the standard library's encoder took a tenth of a search request for
    its page of 100 features. Compact, as DRF's; a float that is not a number is written
    ``null`` where DRF's strict mode raised (a 500).
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        content = orjson.dumps(data, default=_DRF_DEFAULT, option=_OPTIONS)
        for raw, escaped in _SEPARATORS:
            if raw in content:
                content = content.replace(raw, escaped)
        return content


class GeoJSONRenderer(JSONRenderer):
    """RFC 7946 media type: GIS tools (QGIS, uMap, geojson.io) recognise it."""

    media_type = "application/geo+json"
    format = "geojson"


class Negotiation(DefaultContentNegotiation):
    """The format is chosen by ``?format=`` only, never by the Accept header: v1 answered
    GeoJSON to everyone before it had a second format, and clients sending
    ``Accept: application/json`` (GeoJSON is JSON) must keep getting it. An unknown
    ``format`` is a 400 saying which exist."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not wanted:
            return renderers[0], renderers[0].media_type
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        formats = ", ".join(r.format for r in renderers)
        raise exceptions.ValidationError(
            {"format": [_("Format inconnu : choisissez parmi %(formats)s.") % {"formats": formats}]}
        )


def exception_handler(exc, context):
    """Errors in two shapes: {"errors": {parameter: [messages]}} for bad parameters (as in the
    rest of the site), {"detail": "…"} for the rest, plus "retry_after" on a 429."""
    response = views.exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "errors": {
                key: [str(m) for m in (value if isinstance(value, list) else [value])]
                for key, value in detail.items()
            }
        }
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait is not None else None
        # The scope that refused says its own rate (the API's, or the site's own calls').
        rate = getattr(context["request"], "throttled_rate", settings.TOUTPRES_API_RATE)
        response.data = {
            "detail": throttled_message(rate, wait if wait is not None else 60),
            "retry_after": wait,
        }
    else:
        response.data = {"detail": str(response.data.get("detail", exc))}
    response["Cache-Control"] = "no-store"
    return response


class ApiView(views.APIView):
    """A read-only endpoint: JSON by default (``geojson`` first for map data), public cache
    headers for ``max_age`` seconds on success. ETags come from ConditionalGetMiddleware."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = Negotiation
    http_method_names = ["get", "head", "options"]
    max_age = 300

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=self.max_age)
        return response

    def wants_geojson(self) -> bool:
        return self.request.accepted_renderer.format == "geojson"


class MapApiView(ApiView):
    renderer_classes = [GeoJSONRenderer, JSONRenderer]


def validated(form_class, request, **kwargs):
    """The cleaned data of ``form_class`` bound to the query string, or a 400 naming the fields."""
    form = form_class(request.query_params, **kwargs)
    if not form.is_valid():
        raise invalid(form)
    return form


def invalid(form) -> exceptions.ValidationError:
    """The 400 for a form's errors, each parameter with its messages."""
    return exceptions.ValidationError(
        {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
    )


def paging(request, number: int, count: int, size: int) -> dict:
    """count, page, pages, next and previous of page ``number``; a page past the end is a
    400 saying the valid range."""
    pages = max(1, math.ceil(count / size))
    if number > pages:
        raise exceptions.ValidationError({"page": [f"Page hors limites (1 à {pages})."]})

    def url(n):
        query = request.query_params.copy()
        query["page"] = n
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "page": number,
        "pages": pages,
        "next": url(number + 1) if number < pages else None,
        "previous": url(number - 1) if number > 1 else None,
    }


def point_feature(pk: int, lon: float, lat: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "id": pk,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def collection(features: list, paged: dict) -> dict:
    return {"type": "FeatureCollection", "features": features, **paged}
