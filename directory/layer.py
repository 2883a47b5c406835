"""The map layer: server-side clusters at low zoom, markers when zoomed in, never the
whole directory.

The map asks for tiles (``tile``): fixed URLs per zoom, position and filters, answered from
the data version (directory.dataversion) without reading the actor table when nothing
changed (304, or the rendered tile from the shared cache), and from precomputed cluster
cells (directory.layercells) when only kinds filter. The older viewport form (``layer``:
any bbox) is kept for existing clients.
"""

import datetime
import hashlib
import json
import math
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.db.models import Avg, Count
from django.db.models.functions import Floor
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET

from geodata.spatial import Latitude, Longitude, bbox_prefilter
from geodata.text import normalize

from . import clock, dataversion
from .api.base import bad_request
from .api.throttling import SiteRateThrottle, throttle
from .layercells import (
    CELLS_PER_TILE,
    CLUSTER_BELOW_ZOOM,
    FINEST,
    cell_degrees,
    cell_expressions,
    clusters,
)
from .models import Actor
from .schedule import paris_now
from .search import FILTER_PARAMS, Search, SearchForm

# Below CLUSTER_BELOW_ZOOM, or above MAX_MARKERS in view, the layer returns clusters.
MAX_MARKERS = 1500
# The viewport endpoint's cells: about 64 px on 256 px map tiles (the tiles' cells below
# are the same size, on a grid anchored at −180°, −90°).
VIEWPORT_CELLS_PER_TILE = 4


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


def viewport_clusters(queryset, zoom: int) -> list[dict]:
    """Counts per grid cell, computed in the database, placed at the mean of their points."""
    cell = 360 / (2**zoom) / VIEWPORT_CELLS_PER_TILE
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
    return [marker_feature(row) for row in rows]


def marker_feature(row) -> dict:
    return {
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


def viewport_etag(request, *args):
    """The data version, the query and the minute (or day) of time-dependent filters: no
    read of the actor table before a 304."""
    bucket = time_bucket(request.GET, clock.now())[0]
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    return tile_key(dataversion.current(), -1, 0, 0, query, bucket)


@require_GET
@throttle(SiteRateThrottle)  # the site's own scope, not the public API's
@cache_control(public=True, max_age=60)
@condition(etag_func=viewport_etag)
def layer(request):
    """GET /api/v1/layer/?bbox=w,s,e,n&zoom=z (+ q, kind, category, label, mode, open): the
    viewport form, kept for existing clients; the map asks for tiles (``tile`` below)."""
    form = LayerForm(request.GET)
    if not form.is_valid():
        return bad_request(form.errors)
    search = Search.from_form(form, now=clock.now(), resolve_place=False)
    search.point = None  # the viewport is the place here
    queryset = search.filtered(hours="own")  # pins stand at their own place
    zoom = form.cleaned_data["zoom"]
    features = None
    if zoom >= CLUSTER_BELOW_ZOOM:
        ids = list(queryset.values_list("pk", flat=True)[: MAX_MARKERS + 1])
        if len(ids) <= MAX_MARKERS:
            features = markers(Actor.objects.filter(pk__in=ids).order_by("pk"))
    if features is None:
        features = viewport_clusters(queryset, zoom)
    payload = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return HttpResponse(payload, content_type="application/geo+json")


# --- Tiles ------------------------------------------------------------------------------
#
# /api/v1/layer/<z>/<x>/<y>.geojson?<filters>&v=<data version>
#
# A grid in degrees rather than Web Mercator: tile x/y of zoom z covers longitudes
# [x·s − 180, (x+1)·s − 180) and latitudes [y·s − 90, (y+1)·s − 90), s = 720 / 2^z (two map
# tiles wide, so a screen needs a handful of requests), y growing northwards. Cells and
# tiles are then plain FLOOR()s of the public coordinates, computed identically by PostGIS,
# SpatiaLite and the browser (no Mercator trigonometry, which SpatiaLite builds may lack),
# and they nest: the precomputed cells of one zoom sum into the next one's. Every actor (and
# every cell, hence every cluster) belongs to exactly one tile: the half-open intervals
# above, decided by the same cell index everywhere; URLs repeat across visitors, so shared
# caches and CDNs can keep them.

# What a tile keeps of a search (its place is the tile itself).
TILE_FILTERS = FILTER_PARAMS
VERSIONED_MAX_AGE = 86_400  # the URL names the data version: a change means a new URL
VERSIONED_S_MAXAGE = 7 * 86_400
UNVERSIONED_MAX_AGE = 60
MAX_TILE_ZOOM = 20


def tile_degrees(zoom: int) -> float:
    return cell_degrees(zoom) * CELLS_PER_TILE


def tile_count(zoom: int) -> tuple[int, int]:
    """Tiles across and up at ``zoom``."""
    size = tile_degrees(zoom)
    return math.ceil(360 / size), math.ceil(180 / size)


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The tile holding a point (the same floors as the SQL of cell_expressions)."""
    size = cell_degrees(zoom)
    return (
        math.floor((lon + 180.0) / size) // CELLS_PER_TILE,
        math.floor((lat + 90.0) / size) // CELLS_PER_TILE,
    )


# Filters whose values come from closed vocabularies (validated choices): a tile filtered
# by them alone is one of a bounded set, kept long in shared caches. Free text (q) and the
# territories are kept briefly: any client could otherwise fill the caches with them.
CLOSED_FILTERS = frozenset({"kind", "category", "label", "mode", "open"})
# What may sit in a URL kept long by shared caches, besides the closed filters.
LONG_CACHE_PARAMS = CLOSED_FILTERS | {"v"}
# Longest filter string hashed into a key (the form refuses longer q values anyway).
MAX_FILTERS_LENGTH = 2048


def normalised_filters(query) -> str:
    """The tile's filters as a canonical string: the same set in another order, a repeated
    value, another case or spacing of the search words (what Search itself compares) is the
    same tile. Raw values, not validated ones: no database read before the 304 or the
    cache."""
    pairs = set()
    for name in TILE_FILTERS:
        for value in query.getlist(name):
            value = normalize(value) if name == "q" else value.strip()
            if value:
                pairs.add((name, value))
    return urlencode(sorted(pairs))[:MAX_FILTERS_LENGTH]


def long_cacheable(query, version: int) -> bool:
    """Whether shared caches may keep this tile for days: its URL names the current data
    version and filters by closed vocabularies only (nothing else in the query)."""
    return query.get("v") == str(version) and all(
        name in LONG_CACHE_PARAMS and (name != "v" or len(query.getlist(name)) == 1)
        for name in query
    )


def time_bucket(query, moment: datetime.datetime) -> tuple[str, datetime.datetime | None, int]:
    """(bucket, moment to render at, seconds the answer holds) of time-dependent filters.

    « Ouvert maintenant » changes every minute: the tile is rendered for the start of the
    current minute and keyed by it, and browsers and caches keep it until the minute ends.
    A weekday (« ouvert samedi ») depends on today's date: keyed by the Paris date, kept
    until midnight at most.
    """
    value = query.get("open", "")
    if not value:
        return "", None, 0
    local = paris_now(moment)
    if value == "now":
        start = local.replace(second=0, microsecond=0)
        left = 60 - local.second
        return start.strftime("%Y-%m-%dT%H:%M"), start, max(1, left)
    midnight = (local + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    left = int((midnight - local).total_seconds())
    return local.date().isoformat(), local, max(1, min(left, 3600))


def tile_key(version: int, zoom: int, x: int, y: int, filters: str, bucket: str) -> str:
    digest = hashlib.sha256(f"{zoom}/{x}/{y}?{filters}#{bucket}".encode()).hexdigest()[:32]
    return f"{version}-{digest}"


def tile_features(search, zoom: int, x: int, y: int, version: int) -> list[dict]:
    """Clusters or markers of one tile: precomputed cells when only kinds filter (up to
    zoom FINEST), else an aggregation of the filtered actors of this tile only."""
    size = tile_degrees(zoom)
    west, south = x * size - 180, y * size - 90
    # A hair wider than the tile for the index, then the cell indexes decide exactly.
    margin = 1e-6
    box = (west - margin, south - margin, west + size + margin, south + size + margin)
    first = (x * CELLS_PER_TILE, y * CELLS_PER_TILE)
    span = CELLS_PER_TILE
    cx, cy = cell_expressions(zoom)

    def in_tile(queryset):
        return (
            bbox_prefilter(queryset, "public_location", box)
            .annotate(cx=cx, cy=cy)
            .filter(
                cx__gte=first[0], cx__lt=first[0] + span, cy__gte=first[1], cy__lt=first[1] + span
            )
        )

    kinds_only = not (
        search.q.strip()
        or search.categories
        or search.labels
        or search.modes
        or search.open
        or search.has_territory()
    )
    if zoom >= CLUSTER_BELOW_ZOOM:
        rows = list(
            in_tile(search.filtered(hours="own"))
            .with_public_coordinates()
            .order_by("pk")
            .values("pk", "slug", "name", "kind", "lon", "lat")[: MAX_MARKERS + 1]
        )
        if len(rows) <= MAX_MARKERS:
            return [marker_feature(row) for row in rows]
    elif kinds_only and zoom <= FINEST:
        return [
            cluster_feature(n, lon, lat)
            for _, _, n, lon, lat in clusters(version, zoom, x, y, search.kinds)
        ]
    rows = (
        in_tile(search.filtered(hours="own"))
        .values("cx", "cy")
        .annotate(n=Count("pk"), lon=Avg(_x()), lat=Avg(_y()))
        .order_by("cx", "cy")
    )
    return [cluster_feature(r["n"], r["lon"], r["lat"]) for r in rows]


def cluster_feature(count: int, lon: float, lat: float) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": {"cluster": True, "count": count},
    }


_site_throttle = throttle(SiteRateThrottle)(lambda request: None)


@require_GET
def tile(request, z: int, x: int, y: int):
    """GET /api/v1/layer/<z>/<x>/<y>.geojson (+ q, kind, category, label, mode, open,
    departement, commune, region; v = the data version the page knows)."""
    across, up = tile_count(z) if z <= MAX_TILE_ZOOM else (0, 0)
    if not (0 <= x < across and 0 <= y < up):
        return JsonResponse({"detail": gettext("Tuile inexistante.")}, status=404)
    version = dataversion.current()
    filters = normalised_filters(request.GET)
    bucket, moment, bucket_seconds = time_bucket(request.GET, clock.now())
    etag = quote_etag(tile_key(version, z, x, y, filters, bucket))
    long = long_cacheable(request.GET, version)
    if bucket:
        server_seconds = bucket_seconds if long else min(bucket_seconds, UNVERSIONED_MAX_AGE)
        cache_control = f"public, max-age={bucket_seconds}, s-maxage={server_seconds}"
    elif long:
        server_seconds = VERSIONED_S_MAXAGE
        cache_control = f"public, max-age={VERSIONED_MAX_AGE}, s-maxage={VERSIONED_S_MAXAGE}"
    else:
        # Free text, territories, an old or no version: the browser may keep its own copy
        # for a minute, shared caches too, never longer (any client can vary these).
        server_seconds = UNVERSIONED_MAX_AGE
        cache_control = f"public, max-age={UNVERSIONED_MAX_AGE}, s-maxage={UNVERSIONED_MAX_AGE}"

    def answer(response):
        response["ETag"] = etag
        response["Cache-Control"] = cache_control
        if bucket or not long:
            # nginx's tile cache (deploy/nginx) keeps only the bounded set of long tiles,
            # and never a time-dependent one (it could serve it stale while updating).
            response["X-Accel-Expires"] = "0"
        response["X-Data-Version"] = str(version)
        return response

    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return answer(HttpResponseNotModified())
    key = "layer-tile:" + etag.strip('"')
    payload = cache.get(key)
    if payload is None:
        # Only the work is rate-limited: a 304 or a cached tile costs next to nothing.
        if (limited := _site_throttle(request)) is not None:
            return limited
        data = request.GET.copy()
        data.pop("bbox", None)
        form = SearchForm(data)
        if not form.is_valid():
            return bad_request(form.errors)
        search = Search.from_form(form, now=moment or clock.now(), resolve_place=False)
        search.point = None  # the tile is the place here
        features = tile_features(search, z, x, y, version)
        payload = json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        cache.set(key, payload, server_seconds)
    return answer(HttpResponse(payload, content_type="application/geo+json"))
