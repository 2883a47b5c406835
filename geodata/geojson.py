"""RFC 7946 conformance of GeoJSON documents, checked on the geometry (shapely), not on text.

Used by the open-data export before it publishes a file, and by the tests.
"""

import math

from shapely.geometry import shape

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def _positions(coordinates):
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
    else:
        for part in coordinates:
            yield from _positions(part)


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from ((i, ring) for i, ring in enumerate(geometry["coordinates"]))
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from ((i, ring) for i, ring in enumerate(polygon))


def _ring_is_ccw(ring) -> bool:
    from shapely.geometry import LinearRing

    return LinearRing(ring).is_ccw


def geometry_problems(geometry: dict | None, where: str) -> list[str]:
    if geometry is None:  # allowed: a feature without location
        return []
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        return [f"{where}: type de géométrie inconnu {kind!r}"]
    if kind == "GeometryCollection":
        return [
            p
            for i, g in enumerate(geometry.get("geometries", []))
            for p in geometry_problems(g, f"{where}.geometries[{i}]")
        ]
    problems = []
    for position in _positions(geometry.get("coordinates", [])):
        if len(position) not in (2, 3) or not all(
            isinstance(v, int | float) and math.isfinite(v) for v in position
        ):
            problems.append(f"{where}: position invalide {position!r}")
            continue
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"{where}: position hors limites {position!r} (lon, lat attendus)")
    if problems:
        return problems
    for index, ring in _rings(geometry):
        if len(ring) < 4 or ring[0] != ring[-1]:
            problems.append(f"{where}: anneau non fermé ou trop court")
        elif _ring_is_ccw(ring) != (index == 0):
            # RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise.
            side = "extérieur" if index == 0 else "intérieur"
            problems.append(f"{where}: anneau {side} dans le mauvais sens")
    if not problems and not shape(geometry).is_valid:
        problems.append(f"{where}: géométrie invalide")
    return problems


def rfc7946_problems(document: dict) -> list[str]:
    """Everything that makes ``document`` break RFC 7946 (empty list: conformant)."""
    problems = []
    if "crs" in document:
        problems.append("membre « crs » interdit (RFC 7946 §4 : WGS 84 seulement)")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            return problems + ["FeatureCollection sans liste « features »"]
    elif kind == "Feature":
        features = [document]
    else:
        return problems + geometry_problems(document, "geometry")
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if feature.get("type") != "Feature":
            problems.append(f"{where}: type « Feature » attendu")
        if "geometry" not in feature or "properties" not in feature:
            problems.append(f"{where}: membres « geometry » et « properties » obligatoires")
            continue
        if "crs" in feature:
            problems.append(f"{where}: membre « crs » interdit")
        if feature.get("id") is not None and not isinstance(feature["id"], str | int | float):
            problems.append(f"{where}: id doit être une chaîne ou un nombre")
        problems += geometry_problems(feature["geometry"], where)
    return problems


def _oriented(geometry: dict) -> dict:
    """Polygons valid (simplification may cross a ring over itself) and wound right-hand."""
    from shapely import make_valid
    from shapely.geometry import MultiPolygon, Polygon, mapping
    from shapely.geometry.polygon import orient

    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        return geometry
    geom = shape(geometry)
    if not geom.is_valid:
        geom = make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    polygons = [p for part in parts for p in getattr(part, "geoms", [part]) if not p.is_empty]
    oriented = [orient(p, sign=1.0) for p in polygons]
    result = (
        oriented[0]
        if len(oriented) == 1 and geometry["type"] == "Polygon"
        else MultiPolygon(oriented)
    )
    return {"type": result.geom_type, "coordinates": _lists(mapping(result)["coordinates"])}


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, list | tuple) else value


def conform(document: dict) -> dict:
    """``document`` made RFC 7946: no "crs" member, polygon rings wound right-hand
    (exterior counterclockwise), as GIS libraries such as django-geojson's do not."""
    document.pop("crs", None)
    features = document.get("features", [document] if document.get("type") == "Feature" else [])
    for feature in features:
        feature.pop("crs", None)
        if feature.get("geometry"):
            feature["geometry"] = _oriented(feature["geometry"])
    return document
