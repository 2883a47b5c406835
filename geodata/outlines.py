"""Département outlines as the map draws them: simplified once, when territories are
imported (``outline_geojson``), and served as one document whose version is its content
hash, so its URL can be cached for a year and changes when an import changes an outline.

Each process keeps the document it built; the shared cache holds only its version (a
short string), so an import seen by one process reaches every other one.
"""

import hashlib
import json

from django.core.cache import cache
from django.db import transaction

from .geojson import _oriented

SIMPLIFY = 0.005  # degrees, ~500 m: plenty for a faint line under the markers
PRECISION = 5  # decimals, ~1 m
VERSION_KEY = "geodata:departement-outlines:version"

_built: dict = {}  # {"version": …, "body": bytes, "data": dict}


def _rounded(value):
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return round(value, PRECISION)


def simplified_geometry(outline) -> dict | None:
    """The outline simplified (topology kept), rounded and wound right-hand, as GeoJSON."""
    if outline is None or outline.empty:
        return None
    geometry = json.loads(outline.simplify(SIMPLIFY, preserve_topology=True).geojson)
    geometry["coordinates"] = _rounded(geometry["coordinates"])
    return _oriented(geometry)


def store_simplified_outlines(departements) -> int:
    """Computes ``outline_geojson`` of these départements (a queryset); returns how many."""
    count = 0
    for departement in departements.only("pk", "outline"):
        geometry = simplified_geometry(departement.outline)
        text = json.dumps(geometry, separators=(",", ":")) if geometry else ""
        type(departement).objects.filter(pk=departement.pk).update(outline_geojson=text)
        count += 1
    transaction.on_commit(forget)  # not before: another process would rebuild the old one
    return count


def forget() -> None:
    """After outlines change: every process builds the document again."""
    cache.delete(VERSION_KEY)
    _built.clear()


def _build() -> dict:
    from .models import Departement

    rows = (
        Departement.objects.exclude(outline_geojson="")
        .order_by("code")
        .values_list("code", "name", "outline_geojson")
    )
    features = ",".join(
        '{"type":"Feature","properties":'
        + json.dumps({"code": code, "name": name}, ensure_ascii=False)
        + ',"geometry":'
        + geometry
        + "}"
        for code, name, geometry in rows
    )
    body = ('{"type":"FeatureCollection","features":[' + features + "]}").encode()
    version = hashlib.sha256(body).hexdigest()[:16]
    return {"version": version, "body": body, "data": None}


def document() -> dict:
    """{"version", "body" (the GeoJSON bytes), "data" (parsed, read-only)}: the outlines."""
    version = cache.get(VERSION_KEY)
    if _built and version == _built["version"]:
        return _built
    built = _build()
    if version is None or version != built["version"]:
        cache.set(VERSION_KEY, built["version"], None)
    built["data"] = json.loads(built["body"])
    _built.clear()
    _built.update(built)
    return _built


def version() -> str:
    return document()["version"]
