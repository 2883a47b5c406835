"""Open data: the whole published directory as files (GeoJSON, CSV, JSON-LD, OSM), without
private contacts or the exact position of producers who sell from home."""
