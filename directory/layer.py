"""Map layer by viewport: server-side clusters at low zoom, markers when zoomed in.

The browser asks for what it shows (bbox + zoom + the search filters) and never for the
whole directory. Responses carry Last-Modified, so a panning map gets 304s for free.
"""

import hashlib
import json

from django import forms
from django.db.models import Avg, Count, Max
from django.db.models.functions import Floor
from django.http import HttpResponse
from django.utils.http import http_date, quote_etag
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET

from geodata.spatial import Latitude, Longitude

from .api.base import bad_request
from .api.throttling import SiteRateThrottle, throttle
from .models import Actor
from .search import Search, SearchForm

# Below this zoom, or above MAX_MARKERS in view, the layer returns clusters.
CLUSTER_BELOW_ZOOM = 11
MAX_MARKERS = 1500
# About 64 px cells on 256 px tiles.
CELLS_PER_TILE = 4


class LayerForm(SearchForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bbox"].required = True

    zoom = forms.IntegerField(min_value=0, max_value=20)


# Clusters sit at the mean of public pins: a cluster of one is a pin, never a house.
def _x():
    return Longitude("public_location")


def _y():
    return Latitude("public_location")


def clusters(queryset, zoom: int) -> list[dict]:
    """Counts per grid cell, computed in the database, placed at the mean of their points."""
    cell = 360 / (2**zoom) / CELLS_PER_TILE
    rows = (
        queryset.annotate(cx=Floor(_x() / cell), cy=Floor(_y() / cell))
        .values("cx", "cy")
        .annotate(n=Count("pk"), lon=Avg(_x()), lat=Avg(_y()))
        .order_by("cx", "cy")
    )
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(r["lon"], 5), round(r["lat"], 5)]},
            "properties": {"cluster": True, "count": r["n"]},
        }
        for r in rows
    ]


def markers(queryset) -> list[dict]:
    rows = queryset.with_public_coordinates().values("pk", "slug", "name", "kind", "lon", "lat")
    return [
        {
            "type": "Feature",
            "id": row["pk"],
            "geometry": {
                "type": "Point",
                "coordinates": [round(row["lon"], 5), round(row["lat"], 5)],
            },
            "properties": {
                "id": row["pk"],
                "name": row["name"],
                "kind": row["kind"],
                "url": Actor.url_for_slug(row["slug"]),
            },
        }
        for row in rows
    ]


def last_modified(request, *args):
    """The newest change in the directory: the layer cannot have changed since."""
    return Actor.objects.aggregate(latest=Max("updated_at"))["latest"]


@require_GET
@throttle(SiteRateThrottle)  # the site's own scope, not the public API's
@cache_control(public=True, max_age=60)
@condition(last_modified_func=last_modified)
def layer(request):
    """GET /api/v1/layer/?bbox=w,s,e,n&zoom=z (+ q, kind, category, label, mode, open)."""
    form = LayerForm(request.GET)
    if not form.is_valid():
        return bad_request(form.errors)
    search = Search.from_form(form, resolve_place=False)
    search.point = None  # the viewport is the place here
    queryset = search.filtered()
    zoom = form.cleaned_data["zoom"]
    features = None
    if zoom >= CLUSTER_BELOW_ZOOM:
        ids = list(queryset.values_list("pk", flat=True)[: MAX_MARKERS + 1])
        if len(ids) <= MAX_MARKERS:
            features = markers(Actor.objects.filter(pk__in=ids).order_by("pk"))
    if features is None:
        features = clusters(queryset, zoom)
    payload = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    response = HttpResponse(payload, content_type="application/geo+json")
    response["ETag"] = quote_etag(hashlib.sha256(payload.encode()).hexdigest()[:32])
    latest = last_modified(request)
    if latest:
        response["Last-Modified"] = http_date(latest.timestamp())
    return response
