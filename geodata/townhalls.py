"""A commune's reference point (its town hall) checked against its own outline.

The territory data's town-hall points are wrong for about 1,900 of the 34,700 communes:
outside their commune, some with the longitude's sign flipped (Pleurtuit, 35, at +2.06
instead of -2.06), some with the latitude copied into the longitude (Vincey, 88), some
tens of kilometres off (Blet, 18, placed 31 km away, near Bourges). Every approximate
pin and every search by a commune's name starts from that point, so it is checked once,
at import, and replaced when it lies outside the outline:

- a point just outside (within ``EDGE_DEGREES``, about 500 m: the outline is simplified,
  the town hall may stand on the border) moves to the nearest place inside;
- else the point with the longitude's sign flipped, when that one is inside;
- else a point inside the outline: its centroid when inside, else PointOnSurface.

The fix is reported (``TownhallFix``) and counted by ``import_territories``.
"""

from enum import StrEnum

import shapely

# About 550 m of latitude, 370 to 420 m of longitude in metropolitan France.
EDGE_DEGREES = 0.005


class TownhallFix(StrEnum):
    NONE = ""  # inside its commune, or nothing to check it against
    EDGE = "edge"  # just outside: moved to the nearest point inside
    FLIPPED = "flipped"  # longitude sign flipped: the flipped point is inside
    INSIDE = "inside"  # elsewhere: replaced by a point inside the outline
    MISSING = "missing"  # no point (or an empty one): a point inside the outline


def _inside_point(outline):
    centroid = outline.centroid
    return centroid if outline.covers(centroid) else outline.point_on_surface()


def _nearest_inside(point, outline, distance: float):
    """A point of ``outline`` near ``point`` (outside it by ``distance`` degrees): inside
    the part of the outline within a little more than that distance of the point."""
    near = outline.intersection(point.buffer(distance * 1.5 + 1e-7))
    if near.is_empty:
        return None
    candidate = near.point_on_surface()
    return candidate if outline.covers(candidate) else None


def reference_point(townhall, outline):
    """(point, TownhallFix) for a commune: ``townhall`` and ``outline`` are shapely
    geometries (either may be None). The point returned lies inside ``outline`` whenever
    there is one."""
    if outline is None or outline.is_empty:
        missing = townhall is None or townhall.is_empty
        return (None if missing else townhall), TownhallFix.NONE
    if townhall is None or townhall.is_empty:
        return _inside_point(outline), TownhallFix.MISSING
    if outline.covers(townhall):
        return townhall, TownhallFix.NONE
    distance = outline.distance(townhall)
    if distance <= EDGE_DEGREES:
        nearest = _nearest_inside(townhall, outline, distance)
        if nearest is not None:
            return nearest, TownhallFix.EDGE
    flipped = shapely.Point(-townhall.x, townhall.y)
    if outline.covers(flipped):
        return flipped, TownhallFix.FLIPPED
    return _inside_point(outline), TownhallFix.INSIDE
