"""Backend-aware spatial index use: the same bounding-box prefilter on PostGIS and SpatiaLite."""

from django.contrib.gis.db.models import PointField, PolygonField
from django.contrib.gis.geos import Polygon
from django.db import connections
from django.db.models import Expression, FloatField, Func
from django.db.models.expressions import RawSQL


class Longitude(Func):
    """ST_X of a point, read in the database: no geometry crosses into Python (both backends)."""

    function = "ST_X"
    output_field = FloatField()


class Latitude(Func):
    """ST_Y of a point, read in the database."""

    function = "ST_Y"
    output_field = FloatField()


class Slot:
    """A parameter of a compiled statement whose value is given when it runs (``bind``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"Slot({self.name!r})"


class Bound(Expression):
    """``%s`` holding a Slot: a statement compiled once (Django's compilation costs more than
    running a proximity query) then serves every centre and radius, bound by ``bind``."""

    def __init__(self, name: str, output_field=None):
        super().__init__(output_field=output_field or FloatField())
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [Slot(self.name)]


def bind(params, values: dict) -> list:
    """``params`` with each Slot replaced by its value in ``values``."""
    return [values[p.name] if isinstance(p, Slot) else p for p in params]


class BoundPoint(Func):
    """The WGS84 point (Bound ``lon``, Bound ``lat``), made by the database."""

    output_field = PointField(srid=4326)

    def __init__(self):
        super().__init__(Bound("lon"), Bound("lat"))

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="ST_SetSRID(ST_MakePoint(%(expressions)s), 4326)"
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="MakePoint(%(expressions)s, 4326)")


class BoundBox(Func):
    """The box (Bound ``west``, ``south``, ``east``, ``north``) as a WGS84 polygon (PostGIS)."""

    output_field = PolygonField(srid=4326)
    function = "ST_MakeEnvelope"
    template = "%(function)s(%(expressions)s, 4326)"

    def __init__(self):
        super().__init__(*(Bound(name) for name in BOX_SLOTS))


# A bbox given as BOUND_BOX to bbox_prefilter is bound at execution, under these names.
BOX_SLOTS = ("west", "south", "east", "north")
BOUND_BOX = "bound box"


def rtree_table(model, field_name: str) -> str:
    """Name of the R-tree virtual table SpatiaLite keeps for a geometry column."""
    column = model._meta.get_field(field_name).column
    return f"idx_{model._meta.db_table}_{column}"


def bbox_prefilter(queryset, field_name: str, bbox: tuple[float, float, float, float]):
    """Keep the rows whose geometry's bounding box overlaps ``bbox`` (min_lon, min_lat, max_lon, max_lat).

    PostGIS answers ``&&`` from the GiST index by itself. SpatiaLite's spatial
    functions never touch its R-tree, so there the R-tree is queried explicitly:
    without it every proximity search would scan the whole table.

    ``bbox`` may be BOUND_BOX: the box is then bound when the statement runs (``bind``,
    BOX_SLOTS).
    """
    if bbox is BOUND_BOX:
        min_x, min_y, max_x, max_y = (Slot(name) for name in BOX_SLOTS)
    else:
        min_x, min_y, max_x, max_y = bbox
    connection = connections[queryset.db]
    if connection.vendor == "sqlite":
        table = connection.ops.quote_name(rtree_table(queryset.model, field_name))
        sql = f"SELECT pkid FROM {table} WHERE xmin <= %s AND xmax >= %s AND ymin <= %s AND ymax >= %s"  # noqa: S608 (identifier from model meta, values bound)
        return queryset.filter(pk__in=RawSQL(sql, (max_x, min_x, max_y, min_y)))  # noqa: S611 (values are bound parameters)
    if bbox is BOUND_BOX:
        frame = BoundBox()
    else:
        frame = Polygon.from_bbox(bbox)
        frame.srid = 4326
    return queryset.filter(**{f"{field_name}__bboverlaps": frame})


# Boxes per statement in rows_in_boxes(): five parameters each, well under SQLite's limit.
BOXES_PER_STATEMENT = 150


def rows_in_boxes(model, field_name: str, boxes, using: str) -> dict[int, set]:
    """{index of a box: primary keys of the rows whose geometry's bounding box overlaps
    it}, for many boxes (min_lon, min_lat, max_lon, max_lat) at once: the boxes are a
    VALUES list joined with the spatial index (PostGIS's GiST, SpatiaLite's R-tree), one
    statement for up to BOXES_PER_STATEMENT of them, where a queryset per box compiled and
    sent one query each (an import's duplicate candidates, 500 rows a batch)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    found: dict[int, set] = {}
    boxes = list(boxes)
    for start in range(0, len(boxes), BOXES_PER_STATEMENT):
        chunk = boxes[start : start + BOXES_PER_STATEMENT]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params = [
            number
            for index, box in enumerate(chunk, start)
            for number in (index, *(float(v) for v in box))
        ]
        if connection.vendor == "sqlite":
            table = quote(rtree_table(model, field_name))
            # SQLite names a VALUES list's columns column1…column5.
            sql = (
                f"SELECT v.column1, r.pkid FROM (VALUES {values}) v JOIN {table} r "  # noqa: S608 (identifiers from model meta, values bound)
                "ON r.xmin <= v.column4 AND r.xmax >= v.column2 "
                "AND r.ymin <= v.column5 AND r.ymax >= v.column3"
            )
        else:
            column = quote(meta.get_field(field_name).column)
            sql = (
                f"SELECT v.i, t.{quote(meta.pk.column)} FROM (VALUES {values}) v(i, w, s, e, n) "  # noqa: S608 (identifiers from model meta, values bound)
                f"JOIN {quote(meta.db_table)} t ON t.{column} && "
                "ST_MakeEnvelope(v.w, v.s, v.e, v.n, 4326)"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for index, pk in cursor.fetchall():
                found.setdefault(int(index), set()).add(pk)
    return found


def outlines_containing(model, points, using: str) -> dict[int, set]:
    """{index of a (lon, lat) in ``points``: primary keys of the rows of ``model`` whose
    ``outline`` intersects it (a point on a shared border is in both)}, through the spatial
    index, one statement per BOXES_PER_STATEMENT points."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    column, table, pk = (
        quote(meta.get_field("outline").column),
        quote(meta.db_table),
        quote(meta.pk.column),
    )
    found: dict[int, set] = {}
    points = list(points)
    for start in range(0, len(points), BOXES_PER_STATEMENT):
        chunk = points[start : start + BOXES_PER_STATEMENT]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params = [
            n for index, (x, y) in enumerate(chunk, start) for n in (index, float(x), float(y))
        ]
        if connection.vendor == "sqlite":
            rtree = quote(rtree_table(model, "outline"))
            sql = (
                f"SELECT v.column1, t.{pk} FROM (VALUES {values}) v "  # noqa: S608 (identifiers from model meta, values bound)
                f"JOIN {rtree} r ON r.xmin <= v.column2 AND r.xmax >= v.column2 "
                "AND r.ymin <= v.column3 AND r.ymax >= v.column3 "
                f"JOIN {table} t ON t.{pk} = r.pkid "
                # = 1: SpatiaLite answers -1 for a NULL geometry, which SQLite takes as true.
                f"AND ST_Intersects(t.{column}, MakePoint(v.column2, v.column3, 4326)) = 1"
            )
        else:
            sql = (
                f"SELECT v.i, t.{pk} FROM (VALUES {values}) v(i, x, y) JOIN {table} t "  # noqa: S608 (identifiers from model meta, values bound)
                f"ON ST_Intersects(t.{column}, ST_SetSRID(ST_MakePoint(v.x, v.y), 4326))"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for index, row_pk in cursor.fetchall():
                found.setdefault(int(index), set()).add(row_pk)
    return found
