"""Public read-only JSON API (v1): actor search as GeoJSON, and place lookup."""

import hashlib
import math

from django.http import HttpResponse, JsonResponse
from django.utils.http import quote_etag
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from djgeojson.serializers import Serializer as GeoJSONSerializer

from geodata import gazetteer
from geodata.models import Departement

from .search import Search, SearchForm, feature_page
from .serializers import commune_json

PAGE_SIZE = 100


def bad_request(errors: dict) -> JsonResponse:
    """400 naming each faulty parameter: {"errors": {"radius": ["…"]}}."""
    return JsonResponse(
        {"errors": {k: [str(m) for m in v] for k, v in errors.items()}},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def actors(request):
    """GET /api/v1/actors/: near, radius, q, kind, category, label, mode, open, bbox, page."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return bad_request(form.errors)
    search = Search.from_form(form)
    if form.errors:  # an unknown place
        return bad_request(form.errors)
    number = form.cleaned_data.get("page") or 1
    features, count = feature_page(search, number, PAGE_SIZE, request)
    pages = max(1, math.ceil(count / PAGE_SIZE))
    if number > pages:
        return bad_request({"page": [f"Page hors limites (1 à {pages})."]})
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "count": count,
            "page": number,
            "pages": pages,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def places(request):
    """GET /api/v1/places/?q=: communes by name prefix or postal code."""
    query = request.GET.get("q", "").strip()
    if not query:
        return bad_request({"q": ["Paramètre obligatoire : un nom de commune ou un code postal."]})
    if len(query) > 100:
        return bad_request({"q": ["100 caractères au plus."]})
    try:
        limit = int(request.GET.get("limit", 10))
    except ValueError:
        return bad_request({"limit": ["Nombre entier attendu."]})
    if not 1 <= limit <= gazetteer.MAX_RESULTS:
        return bad_request({"limit": [f"Entre 1 et {gazetteer.MAX_RESULTS}."]})
    return JsonResponse(
        {"results": [commune_json(c) for c in gazetteer.search(query, limit)]},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@cache_control(public=True, max_age=86400)
def departements(request):
    """GET /api/v1/departements/: outlines of the imported départements, for orientation on maps."""
    # django-geojson's serializer simplifies (~500 m is plenty for a faint line under the
    # markers, and ten times lighter) and rounds coordinates to 5 decimals (~1 m).
    payload = GeoJSONSerializer().serialize(
        Departement.objects.exclude(outline=None).order_by("code"),
        geometry_field="outline",
        properties=("code", "name"),
        simplify=0.005,
        precision=5,
    )
    response = HttpResponse(payload, content_type="application/geo+json")
    response["ETag"] = quote_etag(hashlib.sha256(payload.encode()).hexdigest()[:32])
    return response
