"""The RFC 7946 checker finds each kind of fault, and conform() repairs what it can."""

from geodata.geojson import conform, rfc7946_problems

CCW = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
CW = list(reversed(CCW))
HOLE_CW = [[0.2, 0.2], [0.2, 0.4], [0.4, 0.4], [0.4, 0.2], [0.2, 0.2]]


def collection(*geometries, **extra):
    features = [{"type": "Feature", "geometry": g, "properties": {}} for g in geometries]
    return {"type": "FeatureCollection", "features": features, **extra}


def test_a_conformant_document_has_no_problem():
    document = collection(
        {"type": "Point", "coordinates": [1.33, 47.58]},
        {"type": "Polygon", "coordinates": [CCW, HOLE_CW]},
    )
    assert rfc7946_problems(document) == []


def test_each_fault_is_named():
    problems = rfc7946_problems(
        collection(
            {"type": "Point", "coordinates": [47.58, 181.0]},  # lat, lon swapped: out of range
            {"type": "Polygon", "coordinates": [CW]},
            {"type": "Polygon", "coordinates": [CCW, list(reversed(HOLE_CW))]},
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            {"type": "Point", "coordinates": [float("nan"), 1]},
            crs={"type": "name"},
        )
    )
    assert problems[0].startswith("membre « crs » interdit")
    assert any("features[0]: position hors limites" in p for p in problems)
    assert "features[1]: anneau extérieur dans le mauvais sens" in problems
    assert "features[2]: anneau intérieur dans le mauvais sens" in problems
    assert "features[3]: géométrie invalide" in problems  # a bow tie
    assert any(p.startswith("features[4]: position invalide") for p in problems)


def test_conform_drops_crs_and_rewinds_rings():
    document = collection({"type": "Polygon", "coordinates": [CW]}, crs={"type": "name"})
    fixed = conform(document)
    assert rfc7946_problems(fixed) == []
    ring = fixed["features"][0]["geometry"]["coordinates"][0]
    assert sorted(map(tuple, ring[:-1])) == sorted(map(tuple, CCW[:-1]))
