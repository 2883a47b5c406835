"""Public read-only JSON API (v1): actor search as GeoJSON, and place lookup."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from geodata import gazetteer

from .search import Search, SearchForm, load_page
from .serializers import actor_feature, commune_json

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
    results = search.results()
    paginator = Paginator(results, PAGE_SIZE)
    page = paginator.get_page(form.cleaned_data.get("page") or 1)
    if form.cleaned_data.get("page") and form.cleaned_data["page"] > paginator.num_pages:
        return bad_request({"page": [f"Page hors limites (1 à {paginator.num_pages})."]})
    actors = load_page(results, page.start_index() - 1 if results else 0, page.end_index())
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": [actor_feature(a, request) for a in actors],
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
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
