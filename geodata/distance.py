"""Distance, bounding-box and validation helpers. Distances are geodesic, on the WGS84 ellipsoid."""

import math
from functools import lru_cache

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from geopy.distance import geodesic
from pyproj import Geod

# A radius beyond this is a typo or an attack, never a local-food search.
MAX_RADIUS_KM = 1000.0


@lru_cache(maxsize=1)
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def validate_coordinates(latitude, longitude) -> tuple[float, float]:
    """Return (lat, lon) as floats, or raise ValidationError for NaN, infinities or out-of-range values."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise ValidationError(
            _("Coordonnées invalides : « %(lat)s, %(lon)s » ne sont pas des nombres."),
            code="invalid_coordinates",
            params={"lat": latitude, "lon": longitude},
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValidationError(
            _("Coordonnées invalides : valeur non finie."), code="invalid_coordinates"
        )
    if not -90 <= lat <= 90:
        raise ValidationError(
            _("Latitude hors limites (%(lat)s) : elle doit être comprise entre -90 et 90."),
            code="latitude_out_of_range",
            params={"lat": lat},
        )
    if not -180 <= lon <= 180:
        raise ValidationError(
            _("Longitude hors limites (%(lon)s) : elle doit être comprise entre -180 et 180."),
            code="longitude_out_of_range",
            params={"lon": lon},
        )
    return lat, lon


def validate_radius_km(radius_km, maximum: float = MAX_RADIUS_KM) -> float:
    """Return the radius as a float, or raise ValidationError when it is not in ]0, maximum]."""
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        raise ValidationError(
            _("Rayon invalide : « %(value)s » n'est pas un nombre."),
            code="invalid_radius",
            params={"value": radius_km},
        ) from None
    if not math.isfinite(radius) or radius <= 0:
        raise ValidationError(
            _("Le rayon doit être strictement positif."), code="radius_not_positive"
        )
    if radius > maximum:
        raise ValidationError(
            _("Rayon trop grand : %(value)s km (maximum %(max)s km)."),
            code="radius_too_large",
            params={"value": radius, "max": maximum},
        )
    return radius


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in km between two (lat, lon) pairs (Karney's algorithm, via geopy)."""
    return geodesic(validate_coordinates(*a), validate_coordinates(*b)).km


# The directions in which the circle is drawn to find its box (bboxes_around).
AZIMUTH_STEP = 8.0
_AZIMUTHS = np.arange(0.0, 360.0, AZIMUTH_STEP)


def bbox_around(latitude, longitude, radius_km) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) enclosing every point within ``radius_km`` of the centre.

    Computed in metres on the ellipsoid, not by a degrees rule of thumb: a degree of
    longitude is 73 km at Lille and 82 km at Perpignan.
    """
    return bboxes_around([(latitude, longitude)], radius_km)[0]


def bboxes_around(centres, radius_km) -> list[tuple[float, float, float, float]]:
    """bbox_around for each (lat, lon) of ``centres``, in one call to the geodesic solver:
    an import's batch asks for hundreds of boxes, and each call cost more than its sums."""
    points = np.array([validate_coordinates(lat, lon) for lat, lon in centres], dtype=float)
    radius_m = validate_radius_km(radius_km) * 1000
    if not len(points):
        return []
    count, directions = len(points), len(_AZIMUTHS)
    lons, lats, _back = _geod().fwd(
        np.repeat(points[:, 1], directions),
        np.repeat(points[:, 0], directions),
        np.tile(_AZIMUTHS, count),
        np.full(count * directions, radius_m),
    )
    lons, lats = lons.reshape(count, directions), lats.reshape(count, directions)
    # Sampling every 8° can miss the extreme by at most r(1 - cos 4°) ≈ 0.24 % of r; a
    # margin of 0.25 % of the span (0.5 % of r) keeps each box a strict superset.
    low_lon, high_lon = lons.min(axis=1), lons.max(axis=1)
    low_lat, high_lat = lats.min(axis=1), lats.max(axis=1)
    margin_lon = (high_lon - low_lon) * 0.0025
    margin_lat = (high_lat - low_lat) * 0.0025
    return [
        (
            max(-180.0, float(w)),
            max(-90.0, float(s)),
            min(180.0, float(e)),
            min(90.0, float(n)),
        )
        for w, s, e, n in zip(
            low_lon - margin_lon,
            low_lat - margin_lat,
            high_lon + margin_lon,
            high_lat + margin_lat,
            strict=True,
        )
    ]
