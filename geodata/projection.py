"""Lambert-93 (EPSG:2154, common in French open data) <-> WGS84 (EPSG:4326), with pyproj."""

import math
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import Transformer

from .distance import validate_coordinates

# EPSG:2154 projected bounds (metropolitan France and Corsica), with a 50 km margin.
LAMBERT93_BOUNDS = (-428_000.0, 6_040_000.0, 1_263_000.0, 7_240_000.0)


@lru_cache(maxsize=2)
def _transformer(source: str, target: str) -> Transformer:
    # always_xy: (x, y) / (lon, lat) order whatever the CRS axis order says.
    return Transformer.from_crs(source, target, always_xy=True)


def is_lambert93(x, y) -> bool:
    """Whether (x, y) lies in the Lambert-93 extent of metropolitan France."""
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        return False
    min_x, min_y, max_x, max_y = LAMBERT93_BOUNDS
    return math.isfinite(x) and math.isfinite(y) and min_x <= x <= max_x and min_y <= y <= max_y


def lambert93_to_wgs84(x, y) -> tuple[float, float]:
    """(x, y) in Lambert-93 metres -> (lon, lat) in degrees."""
    if not is_lambert93(x, y):
        raise ValidationError(
            _("Coordonnées Lambert-93 hors de la France métropolitaine : (%(x)s, %(y)s)."),
            code="lambert93_out_of_range",
            params={"x": x, "y": y},
        )
    lon, lat = _transformer("EPSG:2154", "EPSG:4326").transform(float(x), float(y))
    return lon, lat


def wgs84_to_lambert93(lon, lat) -> tuple[float, float]:
    """(lon, lat) in degrees -> (x, y) in Lambert-93 metres."""
    lat, lon = validate_coordinates(lat, lon)
    x, y = _transformer("EPSG:4326", "EPSG:2154").transform(lon, lat)
    if not is_lambert93(x, y):
        raise ValidationError(
            _("Ce point (%(lat)s, %(lon)s) est hors de l'emprise de Lambert-93."),
            code="lambert93_out_of_range",
            params={"lat": lat, "lon": lon},
        )
    return x, y
