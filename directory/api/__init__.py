"""Public API v1: read-only, anonymous, JSON and GeoJSON, described by an OpenAPI 3.1 schema
generated from these views (docs at /api/docs/, contract in docs/api.md)."""
