"""Proximity ranking in one SQL statement.

A search around a point ranks two kinds of rows:

- *direct*: filtered actors whose own (exact) position lies within the radius;
- *reached through*: filtered actors outside it who sell at a market or deliver to a pick-up
  point inside it, at that place's distance, through their nearest such place.

Both, deduplicated and ordered, are computed by the database in one statement built from the
search's own querysets (``Search.filtered()``, ``near_metres()``): the ORM writes every filter
and the distance, this module only chains them as common table expressions. Doing it in
Python took three round trips and the ranking loop; the API's page then adds its features to
the same statement (``page_statement``), so a search request is one query.

The statement is compiled with the centre and radius as slots (``near(BOUND)``) and kept
per process for each set of filters (``_statement``): compiling it took longer than running
it. Searches run where public reads go (the read replica when there is one).

What keeps it close to the bare index query: the actors in the box are materialised with
their geodesic distance (``box``), so that each distance is computed once, not once for the
radius and again for the ranking; the columns a page shows (CARRIED, the stored category
keys among them) are read in that same scan, so the page joins only the communes and the
links instead of looking every row up again; the reached-through producers are materialised
apart (``reached``), so the total is two counts, not a window over every ranked row.
"""

import datetime
from collections import OrderedDict
from functools import lru_cache

from django.db import connections, router
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from geodata.models import Commune
from geodata.spatial import Slot, bind

from . import dataversion, prepared
from .category_map import category_slugs
from .models import Actor, ActorKind, DistributionLink
from .models.querysets import BOUND, bound_origin, public_metres
from .serializers import FEATURE_VALUES, LINK_VALUES

ORDER = "metres, via IS NOT NULL, pk"
# Compiled rankings kept per process, the least recently used dropped first. Each is a few
# kilobytes of SQL; the filters a site offers make far fewer shapes than this.
STATEMENTS_KEPT = 256
_STATEMENTS: "OrderedDict[tuple, tuple[str, list, object]]" = OrderedDict()


def read_connection():
    """Where a search's statement runs: where the router sends public reads of actors."""
    return connections[router.db_for_read(Actor)]


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _shape(search, vendor: str) -> tuple | None:
    """What a compiled ranking depends on besides its centre and radius, or None when it
    cannot be reused: a text search reads the categories' names when it is compiled, and
    « open now » the current minute."""
    if search.q.strip() or search.open == "now":
        return None
    return (
        vendor,
        tuple(search.kinds),
        tuple(search.categories),
        tuple(search.labels),
        tuple(search.modes),
        search.open,
        search.now.date() if search.open and search.now else None,
        tuple(search.bbox) if search.bbox else None,
        tuple(search.departements),
        tuple(search.communes),
        tuple(search.regions),
    )


def forget_statements() -> None:
    """Drop the compiled rankings (tests that change what compilation reads)."""
    _STATEMENTS.clear()


def _columns(queryset) -> list[str]:
    """The names of a ``.values()`` queryset's columns, in the order the SQL selects them
    (the order Django's own ValuesIterable reads them in)."""
    query = queryset.query
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


def ranking_ctes(search) -> tuple[str, list]:
    """``WITH … ranked(pk, metres, via, …)``: every result of ``search`` (which has a
    point), unordered: ``direct`` and ``reached`` (through a place in range). ``via`` is the DistributionLink an actor is reached through, else NULL.
    The parameters are bound to the search's centre and radius."""
    vendor = read_connection().vendor
    key = _shape(search, vendor)
    entry = _STATEMENTS.get(key) if key is not None else None
    if entry is None:
        entry = (*_compile_ranking(search), search.open_date)
        if key is not None:
            _STATEMENTS[key] = entry
            if len(_STATEMENTS) > STATEMENTS_KEPT:
                _STATEMENTS.popitem(last=False)
    else:
        _STATEMENTS.move_to_end(key)
        search.open_date = entry[2]  # what filtered() sets when it runs
    sql, params, _open_date = entry
    return sql, bind(params, bound_origin(search.point, search.radius_km))


# What the ranking carries from the actor rows it scans to the page: the page's columns are
# read in the ranking's own scan, not by a second lookup of each row by primary key. They
# are the features' own columns (FEATURE_VALUES); the commune's are joined by the page.
CARRIED = (*(n for n in FEATURE_VALUES if "__" not in n), "commune_id", "category_keys")
JOINED = ("commune__name", "commune__departement__code")


def _carried_columns() -> list[str]:
    """CARRIED but the key, quoted: the columns every step of the statement passes on."""
    quote = read_connection().ops.quote_name
    return [quote(n) for n in CARRIED if n != "pk"]


def _compiled(expression) -> tuple[str, list]:
    """The SQL of an expression over columns of the statement's own tables (RawSQL)."""
    query = Query(Actor)
    compiler = query.get_compiler(connection=read_connection())
    return compiler.compile(expression.resolve_expression(query))


def _carried(queryset, *extra):
    """``queryset`` as the rows the ranking carries (CARRIED, then ``extra``)."""
    return queryset.with_public_coordinates().order_by().values(*CARRIED, *extra)


def _compile_ranking(search) -> tuple[str, list]:
    """The ranking's SQL, with the centre and radius as slots (geodata.spatial.Slot)."""
    quote = read_connection().ops.quote_name
    # The results in range are open by their own hours (at their own place).
    filtered = search.filtered(hours="own")
    # The filtered actors in the box with their exact distance, materialised so that the
    # geodesic distance, most of the statement's cost, is computed once a row: a filter on
    # it and the column it ranks by would each compute it.
    box = _carried(filtered.around(BOUND, None), "distance")
    names = _columns(box)
    carried = [quote(n) for n in names if n not in ("pk", "distance")]
    columns = ", ".join(quote(n) for n in names)
    metres, metres_params = _compiled(
        public_metres(
            RawSQL(quote("distance"), [], output_field=FloatField()),  # noqa: S611 (identifier)
            RawSQL(quote("location_is_approximate"), [], output_field=BooleanField()),  # noqa: S611
        )
    )
    parts = [(f"box({columns}) AS MATERIALIZED", _sql(box))]  # SQLite ≥ 3.35, PostgreSQL ≥ 12
    parts.append(
        (
            f"direct(pk, metres, {', '.join(carried)})",
            (
                f"SELECT {quote('pk')}, {metres}, {', '.join(carried)} FROM box "  # noqa: S608 (identifiers)
                f"WHERE {quote('distance')} <= %s",
                [*metres_params, Slot("metres")],
            ),
        )
    )
    place_kinds = list(ActorKind.places())
    marks = ", ".join(["%s"] * len(place_kinds))
    if search.is_unfiltered():
        # Every published actor in range is a direct result: the places are among them.
        places = (f"SELECT pk, metres FROM direct WHERE {quote('kind')} IN ({marks})", place_kinds)  # noqa: S608 (placeholders only)
    else:
        places = _sql(
            Actor.objects.published()
            .filter(kind__in=place_kinds)
            .near_metres(BOUND, None)
            .order_by()
            .values("pk", "metres")
        )
    parts.append(("places(pk, metres)", places))
    link = DistributionLink._meta
    # With « ouvert … », only the links in use then (the place open, on the link's day):
    # the producers reached through a place are there when it is, whatever their own hours.
    in_use, in_use_params = "", []
    if search.open:
        # Only the links of the places in range: each is checked against its place's hours.
        of_places = DistributionLink.objects.filter(
            place_id__in=RawSQL("SELECT pk FROM places", [])
        )  # noqa: S611 (no user input)
        links_sql, in_use_params = _sql(search.open_links(of_places).order_by().values("pk"))
        in_use = f" AND l.{quote(link.pk.column)} IN ({links_sql})"
    # The places in range first, then their links by the place index: CROSS JOIN fixes that
    # order on SQLite (its planner otherwise scans every link); PostgreSQL plans it the same.
    parts.append(
        (
            "candidates(via, pk, metres)",
            (
                f"SELECT l.{quote(link.pk.column)}, l.{quote('actor_id')}, p.metres "  # noqa: S608 (identifiers from model meta)
                f"FROM places p CROSS JOIN {quote(link.db_table)} l "
                f"WHERE l.{quote('place_id')} = p.pk AND l.{quote('actor_id')} NOT IN (SELECT pk FROM direct)"
                f"{in_use}",
                in_use_params,
            ),
        )
    )
    # Each reached-through actor once, through its nearest place.
    parts.append(
        (
            "nearest(pk, metres, via)",
            (
                "SELECT pk, metres, via FROM ("
                "SELECT c.pk, c.metres, c.via, "
                "ROW_NUMBER() OVER (PARTITION BY c.pk ORDER BY c.metres, c.via) AS n "
                "FROM candidates c) ordered WHERE n = 1",
                [],
            ),
        )
    )
    # Reached-through actors must pass the same filters but their own hours (their link
    # said when they are there): the filtered queryset, restricted to the candidates (a
    # short list looked up by primary key).
    reachable = search.filtered(hours="reached")
    from_allowed = ", ".join(f"a.{c}" for c in carried)
    if read_connection().vendor == "postgresql":
        # Each candidate looked up by its key (LATERAL): joined with a list of the allowed
        # ones, PostgreSQL, which expects one row from each, compared every row with every
        # other (a tenth of the statement).
        allowed = _carried(reachable.filter(pk=RawSQL("n.pk", [])))  # noqa: S611 (no user input)
        reached, reached_params = _sql(allowed)
        reached = f"FROM nearest n CROSS JOIN LATERAL ({reached}) a"
    else:
        allowed = _carried(reachable.filter(pk__in=RawSQL("SELECT pk FROM nearest", [])))  # noqa: S611 (no user input)
        allowed_columns = ", ".join(quote(n) for n in _columns(allowed))
        # Materialised: inlined, the planner matched each row with every reached-through actor.
        parts.append((f"allowed({allowed_columns}) AS MATERIALIZED", _sql(allowed)))
        reached, reached_params = f"FROM nearest n JOIN allowed a ON a.{quote('pk')} = n.pk", []
    if _columns(allowed) != [n for n in names if n != "distance"]:
        raise AssertionError("the ranking's two scans must select the same columns")
    columns = ", ".join(carried)
    # Materialised and counted apart from ``direct``: the page's total is then two counts,
    # where a count over the union (a window) copied every ranked row before the LIMIT.
    parts.append(
        (
            f"reached(pk, metres, via, {columns}) AS MATERIALIZED",
            (f"SELECT n.pk, n.metres, n.via, {from_allowed} {reached}", reached_params),  # noqa: S608 (identifiers)
        )
    )
    parts.append(
        (
            f"ranked(pk, metres, via, {columns})",
            (
                f"SELECT pk, metres, CAST(NULL AS integer), {columns} FROM direct "  # noqa: S608 (identifiers)
                f"UNION ALL SELECT pk, metres, via, {columns} FROM reached",
                [],
            ),
        )
    )
    sql = "WITH " + ", ".join(
        f"{name} ({body})" if name.endswith(" AS MATERIALIZED") else f"{name} AS ({body})"
        for name, (body, _) in parts
    )
    return sql, [p for _, (_, params) in parts for p in params]


def ranked(search) -> list[tuple[int, float, int | None]]:
    """(pk, metres, via link pk) of every result, nearest first."""
    ctes, params = ranking_ctes(search)
    with read_connection().cursor() as cursor:
        cursor.execute(f"{ctes} SELECT pk, metres, via FROM ranked ORDER BY {ORDER}", params)  # noqa: S608 (built above)
        return cursor.fetchall()


@lru_cache(maxsize=4)
def _page_tail(vendor: str) -> tuple[str, list, list[str]]:
    """The part of the page statement that does not depend on the search, compiled once per
    backend (Django's query compilation was a fifth of the request's time): each row of the
    ``page`` CTE (which carries CARRIED) with its commune and département, its categories and
    its reached-through link."""
    quote = read_connection().ops.quote_name
    commune, departement = Commune._meta, Commune._meta.get_field("departement").related_model._meta
    links = (
        DistributionLink.objects.filter(pk__in=RawSQL("SELECT via FROM page", []))  # noqa: S611 (no user input)
        .order_by()
        .values(*LINK_VALUES)
    )
    link_names = _columns(links)
    l_cols = [f"l{i}" for i in range(len(link_names))]
    links_sql, links_params = _sql(links)
    # The data version, read in the same snapshot as the keys: what category_slugs() needs
    # to know whether its map of the categories is still right.
    version_meta = dataversion._model()._meta
    version = (
        f"(SELECT {quote(version_meta.get_field('value').column)} FROM {quote(version_meta.db_table)} "  # noqa: S608 (identifiers from model meta)
        f"WHERE {quote(version_meta.pk.column)} = %s)"
    )
    carried = [f"page.{c}" for c in _carried_columns()]
    l_pk = f"l{link_names.index('pk')}"
    # Built from the ORM's SQL and generated column names; values are bound parameters.
    selected = ", ".join(
        [*carried, f"c.{quote('name')}", f"d.{quote('code')}", version]
        + [f"vias.{c}" for c in l_cols]
    )
    select = f"SELECT page.pk, page.metres, page.via, page.total, {selected} FROM page"  # noqa: S608
    # The commune and département joined by key (a CTE of the page's communes made PostgreSQL
    # compare every row with every commune).
    sql = (
        f"vias({', '.join(l_cols)}) AS ({links_sql}) {select} "
        f"LEFT JOIN {quote(commune.db_table)} c ON c.{quote(commune.pk.column)} = page.{quote('commune_id')} "
        f"LEFT JOIN {quote(departement.db_table)} d "
        f"ON d.{quote(departement.pk.column)} = c.{quote(commune.get_field('departement').column)} "
        f"LEFT JOIN vias ON vias.{l_pk} = page.via "
        "ORDER BY page.metres, page.via IS NOT NULL, page.pk"
    )
    names = [
        "pk",
        "metres",
        "via",
        "total",
        *(n for n in CARRIED if n != "pk"),
        *JOINED,
        "data_version",
        *(f"link__{n}" for n in link_names),
    ]
    if missing := set(FEATURE_VALUES) - set(names):
        raise AssertionError(f"the page's statement misses the features' {sorted(missing)}")
    return sql, [dataversion.DATA, *links_params], names


def page_statement(search, offset: int, limit: int) -> tuple[str, list, list[str]]:
    """One statement for one page of the API: the ranking, the total, each row's feature
    columns (public coordinates, place, categories) and its reached-through link.

    Returns the SQL, its parameters and the names of the columns it selects.
    """
    ctes, params = ranking_ctes(search)
    tail, tail_params, names = _page_tail(read_connection().vendor)
    carried = ", ".join(_carried_columns())
    page = (
        f"page(pk, metres, via, total, {carried}) AS (SELECT pk, metres, via, "  # noqa: S608 (identifiers)
        "(SELECT COUNT(*) FROM direct) + (SELECT COUNT(*) FROM reached), "
        f"{carried} FROM ranked ORDER BY {ORDER} LIMIT %s OFFSET %s)"
    )
    return f"{ctes}, {page}, {tail}", [*params, limit, offset, *tail_params], names


def _time(value):
    # SQLite hands TIME columns back as text through a raw cursor.
    return datetime.time.fromisoformat(value) if isinstance(value, str) else value


def page_rows(search, offset: int, limit: int) -> tuple[list[dict], list[dict | None], int]:
    """The features' values, the reached-through links' values (None when direct) and the
    total number of results, for one page, in one statement.

    The total comes with the rows; a page past the end has none, so it is then counted
    apart (a 400 for the API, never on a normal page).
    """
    sql, params, names = page_statement(search, offset, limit)
    connection = read_connection()
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, sql, params)
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if rows:
        total = rows[0]["total"]
    else:
        ctes, count_params = ranking_ctes(search)
        with read_connection().cursor() as cursor:
            cursor.execute(f"{ctes} SELECT COUNT(*) FROM ranked", count_params)  # noqa: S608 (built above)
            total = cursor.fetchone()[0]
    features, links = [], []
    for row in rows:
        row["category_slugs"] = category_slugs(
            connection, row["data_version"], row["category_keys"]
        )
        features.append(row)
        if row["via"] is None:
            links.append(None)
        else:
            links.append(
                {
                    name: _time(row[f"link__{name}"])
                    if name in ("starts", "ends")
                    else row[f"link__{name}"]
                    for name in LINK_VALUES
                }
            )
    return features, links, total
