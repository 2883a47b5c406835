"""Benchmark: the search endpoint and the map layer, as issue #3 measures them.

Usage (DATABASE_URL chooses the backend):
    .venv/bin/python bench/search.py [--size 100000] [--queries 30]

Fills the database if needed (import_territories --all, demo_data --all --size N), then,
in one run:
  api       median latency of GET /api/v1/actors/?near=…&radius=30 through the whole Django
            stack (middleware, URL routing, validation, search, serialisation, JSON)
  raw       median latency of the SQL that the search emits for that page (one statement:
            ranking, count, rows, categories, reached-through links), run directly
  near      the bare proximity query (Search.filtered().near()), for reference
  all SQL   median time of every SQL statement the API request emits, replayed directly:
            what is left of the API's time is Django and Python
  payload   gzip bytes of the map layer for the initial view of the region (zoom 8) against
            an all-at-once GeoJSON of the published directory
Results are printed and written to var/bench/<backend>-<size>.json (bench/report.py
compares the backends).
"""

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The API's rate limit still runs on every request (its cache reads and writes are part of
# the measured time); only its threshold is raised above the benchmark's request count.
os.environ.setdefault("API_RATE_LIMIT", "1000000/hour")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from directory.api.actors import PAGE_SIZE  # noqa: E402
from directory.models import Actor  # noqa: E402
from directory.ranking import page_statement  # noqa: E402
from directory.search import Search  # noqa: E402
from directory.serializers import FEATURE_VALUES, feature  # noqa: E402
from geodata.models import Commune, Departement  # noqa: E402

RADIUS = 30


def ensure_data(size: int) -> None:
    everywhere = size > 20_000
    if everywhere and Commune.objects.count() < 30_000:
        call_command("import_territories", "--all")
    elif not Commune.objects.exists():
        call_command("import_territories")
    if Actor.objects.count() < size:
        args = ["--size", str(size), "--seed", "1"] + (["--all"] if everywhere else [])
        call_command("demo_data", *args)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(fn, items):
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    ensure_data(args.size)
    setup_test_environment()  # lets the test client reach the site with DEBUG off
    client = Client(HTTP_HOST="localhost")

    rng = random.Random(7)
    towns = list(
        Commune.objects.filter(
            population__gte=2000, departement__code__in=settings.TOUTPRES_REGION["DEPARTEMENTS"]
        )
        .exclude(townhall=None)
        .order_by("code")
        .values_list("townhall", flat=True)
    )
    centres = [(p.y, p.x) for p in rng.sample(towns, min(args.queries, len(towns)))]

    def api(centre):
        response = client.get(
            "/api/v1/actors/", {"near": f"{centre[0]},{centre[1]}", "radius": RADIUS}, secure=True
        )
        assert response.status_code == 200, response.content[:200]
        return response

    def statement(centre):
        point = Point(centre[1], centre[0], srid=4326)
        return page_statement(Search(point=point, radius_km=RADIUS), 0, PAGE_SIZE)[:2]

    def raw(prepared):
        # Only the execution is timed: building the statement is Django's share of the API.
        sql, params = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def near(centre):
        point = Point(centre[1], centre[0], srid=4326)
        sql, params = (
            Search(point=point, radius_km=RADIUS)
            .filtered()
            .near(point, RADIUS)
            .values_list("pk", "distance")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def statements(centre):
        with CaptureQueriesContext(connection) as captured:
            api(centre)
        return [q["sql"] for q in captured.captured_queries]

    def raw_all(sqls):
        with connection.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql)
                if cursor.description:  # the shared cache's writes return no rows
                    cursor.fetchall()

    api(centres[0])  # warm-up: imports, caches
    prepared = [statement(c) for c in centres]
    raw(prepared[0])
    near(centres[0])
    replay = [statements(c) for c in centres]
    t_raw = timed(raw, prepared)
    t_near = timed(near, centres)
    t_all = timed(raw_all, replay)
    t_api = timed(api, centres)
    found = statistics.median(json.loads(api(c).content)["count"] for c in centres[:5])

    # Payload: the initial region view against everything at once.
    region = Departement.objects.filter(code__in=settings.TOUTPRES_REGION["DEPARTEMENTS"])
    extents = [d.outline.extent for d in region if d.outline]
    bbox = ",".join(
        f"{v:.4f}"
        for v in (
            min(e[0] for e in extents),
            min(e[1] for e in extents),
            max(e[2] for e in extents),
            max(e[3] for e in extents),
        )
    )
    layer = client.get(
        "/api/v1/layer/", {"bbox": bbox, "zoom": settings.TOUTPRES_REGION["MAP_ZOOM"]}, secure=True
    ).content
    # The API's own features for every published actor (the naive "load it all" map).
    categories = defaultdict(list)
    for actor_id, slug in Actor.categories.through.objects.values_list(
        "actor_id", "category__slug"
    ):
        categories[actor_id].append(slug)
    everything = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                feature(row, categories[row["pk"]])
                for row in Actor.objects.published()
                .with_public_coordinates()
                .values(*FEATURE_VALUES)
                .iterator(chunk_size=5000)
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    layer_gz, all_gz = len(gzip.compress(layer)), len(gzip.compress(everything))

    result = {
        "backend": connection.vendor,
        "actors": Actor.objects.count(),
        "radius_km": RADIUS,
        "queries": len(centres),
        "median_results": found,
        "api_ms": round(t_api * 1000, 2),
        "raw_ms": round(t_raw * 1000, 2),
        "api_to_raw": round(t_api / t_raw, 2),
        "near_ms": round(t_near * 1000, 2),
        "api_to_near": round(t_api / t_near, 2),
        "statements": statistics.median(len(r) for r in replay),
        "all_sql_ms": round(t_all * 1000, 2),
        "api_to_all_sql": round(t_api / t_all, 2),
        "layer_gzip_bytes": layer_gz,
        "all_gzip_bytes": all_gz,
        "layer_to_all": round(layer_gz / all_gz, 4),
    }
    out = ROOT / "var" / "bench" / f"{connection.vendor}-{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(
        f"backend={result['backend']} actors={result['actors']} radius={RADIUS} km queries={len(centres)} "
        f"median results={found:g}\n"
        f"  api      median {result['api_ms']:9.2f} ms   ratio to raw {result['api_to_raw']:6.2f}\n"
        f"  raw SQL  median {result['raw_ms']:9.2f} ms   (the statement the search emits for the page)\n"
        f"  near     median {result['near_ms']:9.2f} ms   (the bare proximity query)   api ratio {result['api_to_near']:6.2f}\n"
        f"  all SQL  median {result['all_sql_ms']:9.2f} ms   ({result['statements']:g} statements "
        f"of the request replayed)   api ratio {result['api_to_all_sql']:6.2f}\n"
        f"  layer (region view, gzip) {layer_gz:,} B   all-at-once GeoJSON (gzip) {all_gz:,} B   "
        f"ratio 1/{all_gz / layer_gz:.0f}"
    )


if __name__ == "__main__":
    main()
