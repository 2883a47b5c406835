"""Benchmark: the map layer at 5,000 and 500,000 actors, tiles against the old viewport form.

Usage:
    .venv/bin/python bench/layer.py --database-url postgis://toutpres:toutpres@127.0.0.1:55432/bench_layer
    .venv/bin/python bench/layer.py --database-url spatialite:///var/bench-layer.sqlite3 --sizes 5000 100000

One database per size (``<name>_<size>``), filled once and reused: on PostGIS with one SQL
statement (generate_series), on SpatiaLite with bulk_create. Each size is measured in a
child process, then this run prints the figures side by side with the ratios:

  region / national   every tile of the view (zoom 8 over the region, zoom 6 over France),
                      the server's cache emptied before each run (not timed), precomputed
                      cells fresh: "uncached"; per tile = the view divided by its tiles
  … filtered          the same with « q=chevre » and a category (aggregated per tile)
  tile, cached        one tile from the shared cache (median per request)
  tile, 304           one If-None-Match answered from the data version
  old viewport        GET /api/v1/layer/?bbox=…&zoom=… (per-request aggregation), the "before"
  cells rebuild       rebuilding every zoom's cells after a write
  home figures        counts by kind over the table ("before") against the cached ones
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION = (0.0, 46.3, 3.2, 48.95)  # Centre-Val de Loire and around
FRANCE = (-5.0, 41.0, 10.0, 51.5)
REPEATS = 5


def database_for(url: str, size: int) -> str:
    parts = urlsplit(url)
    if parts.scheme.startswith("spatialite"):
        path = Path(parts.path)
        return urlunsplit(parts._replace(path=str(path.with_stem(f"{path.stem}_{size}"))))
    return urlunsplit(parts._replace(path=f"{parts.path}_{size}"))


def create_postgres_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}" OWNER "{parts.username}"')
    conn.close()


# --- Child: one size -----------------------------------------------------------------------


def fill(size: int) -> None:
    from django.contrib.gis.geos import Point
    from django.db import connection

    from directory import dataversion
    from directory.models import Actor, ActorKind, Category, ModerationStatus

    have = Actor.objects.count()
    if have >= size:
        return
    print(f"  {size - have:,} actors to generate…", file=sys.stderr)
    kinds = [k.value for k in ActorKind]
    words = ["chevre", "miel", "pain", "legumes", "volailles"]
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # One statement: 20 % in the region, the rest over mainland France; 95 % published.
        w, s, e, n = REGION
        fw, fs, fe, fn = FRANCE
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.17)")
            cursor.execute(
                """
                INSERT INTO directory_actor (name, slug, kind, description, products,
                    search_text, address, postal_code, location, public_location,
                    location_checked, location_is_approximate, phone, email, website,
                    shop_url, contact_name, contact_email, contact_phone, status,
                    proposed_places, closed_note, source, source_key, created_at, updated_at)
                SELECT 'Ferme ' || i, 'bench-' || i, (%(kinds)s::text[])[1 + i %% %(nk)s],
                    '', '', 'ferme ' || (%(words)s::text[])[1 + i %% %(nw)s] || ' ' || i,
                    '', '', p, p, true, false, '', '', '', '', '', '', '',
                    CASE WHEN i %% 20 = 0 THEN 'pending' ELSE 'published' END,
                    '', '', 'bench', i::text, now(), now()
                FROM (
                    SELECT i, CASE WHEN i %% 5 = 0
                        THEN ST_SetSRID(ST_MakePoint(%(w)s + random() * %(dw)s,
                                                     %(s)s + random() * %(dh)s), 4326)
                        ELSE ST_SetSRID(ST_MakePoint(%(fw)s + random() * %(fdw)s,
                                                     %(fs)s + random() * %(fdh)s), 4326)
                    END AS p
                    FROM generate_series(%(first)s, %(last)s) AS i
                ) points
                """,
                {
                    "kinds": kinds,
                    "nk": len(kinds),
                    "words": words,
                    "nw": len(words),
                    "w": w,
                    "s": s,
                    "dw": e - w,
                    "dh": n - s,
                    "fw": fw,
                    "fs": fs,
                    "fdw": fe - fw,
                    "fdh": fn - fs,
                    "first": have + 1,
                    "last": size,
                },
            )
            cursor.execute(
                """
                INSERT INTO directory_actor_categories (actor_id, category_id)
                SELECT a.id, c.id FROM directory_actor a
                JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM directory_category) c
                  ON c.rn = 1 + a.id %% (SELECT count(*) FROM directory_category)
                WHERE a.id %% 3 = 0 AND a.source = 'bench'
                ON CONFLICT DO NOTHING
                """,
                [],
            )
            cursor.execute("ANALYZE")
    else:
        import random

        rng = random.Random(17)
        categories = list(Category.objects.order_by("pk"))
        batch = []
        for i in range(have + 1, size + 1):
            box = REGION if i % 5 == 0 else FRANCE
            batch.append(
                Actor(
                    name=f"Ferme {i}",
                    slug=f"bench-{i}",
                    kind=kinds[i % len(kinds)],
                    location=Point(
                        rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]), srid=4326
                    ),
                    status=ModerationStatus.PENDING if i % 20 == 0 else ModerationStatus.PUBLISHED,
                    source="bench",
                    source_key=str(i),
                    search_text=f"ferme {words[i % len(words)]} {i}",
                )
            )
            if len(batch) == 5000 or i == size:
                Actor.objects.bulk_create(batch)
                batch = []
        through = Actor.categories.through
        rows = [
            through(actor_id=pk, category_id=categories[pk % len(categories)].pk)
            for pk in Actor.objects.filter(source="bench").values_list("pk", flat=True)
            if pk % 3 == 0
        ]
        through.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    dataversion.bump()
    print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def median_ms(fn, repeats=REPEATS, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()  # not timed
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def measure(size: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from directory import dataversion, layercells
    from directory.layer import tile_of
    from directory.models import Actor, Category
    from directory.views import counts_by_kind

    fill(size)
    setup_test_environment()
    client = Client(HTTP_HOST="localhost")
    category = Category.objects.order_by("pk").first().slug

    def tiles(zoom, box):
        x0, y0 = tile_of(box[0], box[1], zoom)
        x1, y1 = tile_of(box[2], box[3], zoom)
        return [
            f"/api/v1/layer/{zoom}/{x}/{y}.geojson"
            for x in range(x0, x1 + 1)
            for y in range(y0, y1 + 1)
        ]

    def view(urls, params=None):
        def run():
            for url in urls:
                response = client.get(url, params or {}, secure=True)
                assert response.status_code == 200, response.content[:300]

        return run

    def uncached(urls, params=None):
        # The server's cache emptied before each (untimed): what the first visitor pays.
        return median_ms(view(urls, params), before=cache.clear)

    out = {"size": size, "backend": connection.vendor, "cache": cache.__class__.__name__}
    published = Actor.objects.published().count()
    out["published"] = published

    def write_then_rebuild():
        # What the first cluster request after a write pays.
        dataversion._bump_now("default")
        layercells.rebuild()

    out["cells_rebuild_ms"] = median_ms(write_then_rebuild, 3)
    version = dataversion.current()
    region, national = tiles(8, REGION), tiles(6, FRANCE)
    out["region_tiles"], out["national_tiles"] = len(region), len(national)
    v = {"v": version}
    view(region, v)()  # warm the connection and the cells
    out["region_ms"] = uncached(region, v)
    out["national_ms"] = uncached(national, v)
    filtered = {"q": "chevre", **v}
    out["region_q_ms"] = uncached(region, filtered)
    out["national_q_ms"] = uncached(national, filtered)
    by_category = {"category": category, **v}
    out["region_category_ms"] = uncached(region, by_category)
    out["national_category_ms"] = uncached(national, by_category)
    one = region[len(region) // 2]
    first = client.get(one, v, secure=True)
    out["tile_cached_ms"] = median_ms(lambda: client.get(one, v, secure=True), 30)
    etag = first["ETag"]
    out["tile_304_ms"] = median_ms(
        lambda: client.get(one, v, HTTP_IF_NONE_MATCH=etag, secure=True), 30
    )
    out["region_tile_ms"] = round(out["region_ms"] / len(region), 2)
    out["national_tile_ms"] = round(out["national_ms"] / len(national), 2)
    out["region_cached_view_ms"] = median_ms(view(region, v))
    bbox = ",".join(str(c) for c in REGION)
    france = ",".join(str(c) for c in FRANCE)
    out["old_region_ms"] = median_ms(
        lambda: client.get("/api/v1/layer/", {"bbox": bbox, "zoom": 8}, secure=True), 3
    )
    out["old_national_ms"] = median_ms(
        lambda: client.get("/api/v1/layer/", {"bbox": france, "zoom": 6}, secure=True), 3
    )
    out["old_home_counts_ms"] = median_ms(
        lambda: dict(
            Actor.objects.published()
            .values_list("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        ),
        3,
    )
    dataversion.cached("home-kinds", counts_by_kind)
    out["home_counts_cached_ms"] = median_ms(
        lambda: dataversion.cached("home-kinds", counts_by_kind), 30
    )
    out["tile_url_example"] = f"{one}?v={version}"
    return out


def child(args) -> None:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The site's rate limit still runs on every uncached tile; only its threshold is raised.
    os.environ.setdefault("SITE_RATE_LIMIT", "1000000/minute")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(measure(args.size)))


# --- Parent: every size, then the ratios -----------------------------------------------------

ROWS = [
    ("region view, uncached (all tiles)", "region_ms"),
    ("national view, uncached (all tiles)", "national_ms"),
    ("region view, q=chevre", "region_q_ms"),
    ("national view, q=chevre", "national_q_ms"),
    ("region view, one category", "region_category_ms"),
    ("national view, one category", "national_category_ms"),
    ("region view, per tile, uncached", "region_tile_ms"),
    ("national view, per tile, uncached", "national_tile_ms"),
    ("region view, cached tiles", "region_cached_view_ms"),
    ("one tile, cached", "tile_cached_ms"),
    ("one tile, 304", "tile_304_ms"),
    ("cells rebuild after a write", "cells_rebuild_ms"),
    ("before: viewport layer, region", "old_region_ms"),
    ("before: viewport layer, national", "old_national_ms"),
    ("before: home figures (count by kind)", "old_home_counts_ms"),
    ("home figures, cached", "home_counts_cached_ms"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 500_000])
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.size:
        child(args)
        return
    results = []
    for size in args.sizes:
        url = database_for(args.database_url, size)
        if not url.startswith("spatialite"):
            create_postgres_database(url)
        print(f"{size:,} actors: {url.rsplit('@', 1)[-1]}", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, __file__, "--size", str(size), "--database-url", url],
            capture_output=True,
            text=True,
        )
        sys.stderr.write(done.stderr)
        if done.returncode:
            sys.exit(f"the {size:,} run failed")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    small, large = results[0], results[-1]
    print(
        f"\nMap layer on {large['backend']} (cache: {large['cache']}; "
        f"{large['region_tiles']} tiles in the region view, {large['national_tiles']} nationally)"
    )
    header = "".join(f"{r['size']:>12,}" for r in results)
    print(f"{'ms (median)':<40}{header}{'ratio':>8}")
    for label, key in ROWS:
        values = "".join(f"{r[key]:>12.2f}" for r in results)
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"{label:<40}{values}{ratio:>8.2f}")
    print(
        f"\nbefore/after at {large['size']:,}: region "
        f"{large['old_region_ms'] / large['region_ms']:.1f}× faster, national "
        f"{large['old_national_ms'] / large['national_ms']:.1f}× faster; "
        f"tile URL: {large['tile_url_example']}"
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"layer-{large['backend']}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
