"""Backend-aware spatial index use: the same bounding-box prefilter on PostGIS and SpatiaLite."""

from django.contrib.gis.geos import Polygon
from django.db import connections
from django.db.models import FloatField, Func
from django.db.models.expressions import RawSQL


class Longitude(Func):
    """ST_X of a point, read in the database: no geometry crosses into Python (both backends)."""

    function = "ST_X"
    output_field = FloatField()


class Latitude(Func):
    """ST_Y of a point, read in the database."""

    function = "ST_Y"
    output_field = FloatField()


def rtree_table(model, field_name: str) -> str:
    """Name of the R-tree virtual table SpatiaLite keeps for a geometry column."""
    column = model._meta.get_field(field_name).column
    return f"idx_{model._meta.db_table}_{column}"


def bbox_prefilter(queryset, field_name: str, bbox: tuple[float, float, float, float]):
    """Keep the rows whose geometry's bounding box overlaps ``bbox`` (min_lon, min_lat, max_lon, max_lat).

    PostGIS answers ``&&`` from the GiST index by itself. SpatiaLite's spatial
    functions never touch its R-tree, so there the R-tree is queried explicitly:
    without it every proximity search would scan the whole table.
    """
    min_x, min_y, max_x, max_y = bbox
    connection = connections[queryset.db]
    if connection.vendor == "sqlite":
        table = connection.ops.quote_name(rtree_table(queryset.model, field_name))
        sql = f"SELECT pkid FROM {table} WHERE xmin <= %s AND xmax >= %s AND ymin <= %s AND ymax >= %s"  # noqa: S608 (identifier from model meta, values bound)
        return queryset.filter(pk__in=RawSQL(sql, (max_x, min_x, max_y, min_y)))  # noqa: S611 (values are bound parameters)
    frame = Polygon.from_bbox(bbox)
    frame.srid = 4326
    return queryset.filter(**{f"{field_name}__bboverlaps": frame})
