import math

import pytest
from django.core.exceptions import ValidationError
from geopy.distance import geodesic
from pyproj import Geod

from geodata.distance import (
    MAX_RADIUS_KM,
    bbox_around,
    bboxes_around,
    geodesic_km,
    validate_coordinates,
    validate_radius_km,
)
from geodata.projection import lambert93_to_wgs84, wgs84_to_lambert93

ORLEANS = (47.90289, 1.90911)
BOURGES = (47.08106, 2.39843)


def test_geodesic_km_matches_geopy_and_is_symmetric():
    d = geodesic_km(ORLEANS, BOURGES)
    assert d == pytest.approx(geodesic(ORLEANS, BOURGES).km, abs=1e-9)
    assert 97 < d < 100
    assert d == pytest.approx(geodesic_km(BOURGES, ORLEANS))
    assert geodesic_km(ORLEANS, ORLEANS) == 0


@pytest.mark.parametrize("centre", [ORLEANS, (42.7, 2.9), (51.0, 2.3), (48.1, -4.5)])
@pytest.mark.parametrize("radius", [1, 20, 100, 500])
def test_bbox_around_contains_the_whole_circle(centre, radius):
    min_lon, min_lat, max_lon, max_lat = bbox_around(*centre, radius)
    geod = Geod(ellps="WGS84")
    for azimuth in range(0, 360):
        lon, lat, _ = geod.fwd(centre[1], centre[0], azimuth + 0.5, radius * 1000)
        assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
    # ... and it is tight: no more than 1 % wider than the circle.
    north = geod.fwd(centre[1], centre[0], 0, radius * 1000)[1]
    assert max_lat - centre[0] == pytest.approx(north - centre[0], rel=0.01)


def test_bboxes_around_is_bbox_around_for_each_centre():
    centres = [ORLEANS, BOURGES, (42.7, 2.9), (51.0, 2.3), (48.1, -4.5)]
    assert bboxes_around(centres, 1) == [bbox_around(*c, 1) for c in centres]
    assert bboxes_around([], 1) == []
    with pytest.raises(ValidationError):
        bboxes_around([ORLEANS, (91, 0)], 1)


@pytest.mark.parametrize("centre", [(51.0, 2.3), (42.4, 3.1)])
def test_bbox_around_holds_every_point_of_the_circle_finely_sampled(centre):
    """Drawn every 8°, the circle's box must still hold the points between the directions
    it was drawn in: sampled every tenth of a degree here."""
    min_lon, min_lat, max_lon, max_lat = bbox_around(*centre, 100)
    geod = Geod(ellps="WGS84")
    azimuths = [a / 10 for a in range(3600)]
    lons, lats, _ = geod.fwd([centre[1]] * 3600, [centre[0]] * 3600, azimuths, [100_000] * 3600)
    outside = [
        a
        for a, lon, lat in zip(azimuths, lons, lats, strict=True)
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat)
    ]
    assert not outside, f"points of the circle outside its box at azimuths {outside[:5]}"


def test_bbox_is_wider_in_degrees_further_north():
    south = bbox_around(42.7, 2.9, 50)
    north = bbox_around(51.0, 2.3, 50)
    assert (north[2] - north[0]) > (south[2] - south[0])


@pytest.mark.parametrize(
    "radius", [0, -5, float("nan"), float("inf"), MAX_RADIUS_KM + 1, 1e9, "abc", None]
)
def test_bad_radius_is_rejected(radius):
    with pytest.raises(ValidationError):
        validate_radius_km(radius)
    with pytest.raises(ValidationError):
        bbox_around(*ORLEANS, radius)


@pytest.mark.parametrize(
    "lat, lon",
    [(90.1, 0), (-91, 0), (0, 180.5), (0, -181), (math.nan, 0), (0, math.inf), ("x", 1), (None, 1)],
)
def test_bad_coordinates_are_rejected(lat, lon):
    with pytest.raises(ValidationError):
        validate_coordinates(lat, lon)
    with pytest.raises(ValidationError):
        geodesic_km((lat, lon), ORLEANS)


def test_validation_messages_are_clear():
    with pytest.raises(ValidationError) as exc:
        validate_radius_km(5000)
    assert "Rayon trop grand" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        validate_coordinates(95, 1)
    assert "Latitude hors limites" in exc.value.messages[0]


def test_lambert93_origin_is_exact():
    # Lambert-93 is defined with false origin (700 000, 6 600 000) at 3°E, 46.5°N.
    lon, lat = lambert93_to_wgs84(700_000, 6_600_000)
    assert (lon, lat) == (pytest.approx(3.0, abs=1e-9), pytest.approx(46.5, abs=1e-9))
    x, y = wgs84_to_lambert93(3.0, 46.5)
    assert (x, y) == (pytest.approx(700_000, abs=1e-3), pytest.approx(6_600_000, abs=1e-3))


def test_lambert93_round_trip_on_orleans():
    x, y = wgs84_to_lambert93(ORLEANS[1], ORLEANS[0])
    assert 600_000 < x < 630_000 and 6_740_000 < y < 6_760_000
    lon, lat = lambert93_to_wgs84(x, y)
    assert (lat, lon) == (pytest.approx(ORLEANS[0], abs=1e-8), pytest.approx(ORLEANS[1], abs=1e-8))


@pytest.mark.parametrize(
    "x, y", [(0, 0), (2.35, 48.85), (700_000, 100), ("a", 1), (math.nan, 6_600_000)]
)
def test_lambert93_out_of_range_is_rejected(x, y):
    with pytest.raises(ValidationError):
        lambert93_to_wgs84(x, y)


def test_wgs84_outside_france_is_rejected_for_lambert93():
    with pytest.raises(ValidationError):
        wgs84_to_lambert93(-73.98, 40.75)  # New York
