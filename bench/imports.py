"""Benchmark: importing a partner's list of 5,000 then 50,000 rows, in bounded memory.

Usage:
    .venv/bin/python bench/imports.py [--rows 5000 50000] [--database-url URL]

Writes a real-world-shaped CSV (Latin-1, `;`, accents; Lambert-93 coordinates with decimal
commas, degrees some of them swapped, rows with only a postal code, duplicates of earlier
rows, broken rows), then runs `manage.py import_list FILE --yes` in its own process on a
fresh database (a temporary SpatiaLite file unless --database-url names an empty PostGIS
one; `./dev bench imports` runs both), then the same file again (everything unchanged). For each run it prints the
time, rows per second and the process's peak memory (max RSS): the memory must not grow
with the file. It fails if the largest import goes over BOUND_MB.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BOUND_MB = 400

NAMES = [
    "Ferme",
    "Chèvrerie",
    "Fromagerie",
    "Boulangerie",
    "Vergers",
    "Maraîchage",
    "Rucher",
    "Épicerie",
]
PLACES = [
    "des Épis",
    "du Moulin",
    "de la Côte",
    "des Prés",
    "Saint-Éloi",
    "du Val",
    "des Bœufs",
    "d'Ormeaux",
]
KINDS = ["Producteur", "Vente à la ferme", "Boulangerie", "Fromager", "Marché", "Épicerie", "AMAP"]


def django_env(database_url: str, folder: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings")
    # The uploaded copies go next to the throw-away database, not into var/imports/.
    env["IMPORT_DIR"] = str(folder / "imports")
    env.pop("DEBUG", None)
    return env


def communes(env) -> list[tuple[str, str, float, float]]:
    code = (
        "from geodata.models import Commune\n"
        "for c in Commune.objects.exclude(townhall=None).prefetch_related('postal_codes')[:3000]:\n"
        "    pc = (c.postal_code_list or [''])[0]\n"
        "    print(f'{c.name}|{pc}|{c.townhall.y}|{c.townhall.x}')\n"
    )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 4:
            rows.append((parts[0], parts[1], float(parts[2]), float(parts[3])))
    return rows


def write_csv(path: Path, rows: int, places, seed: int = 7) -> None:
    from pyproj import Transformer

    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    rng = random.Random(seed)
    lines = [
        "Identifiant;Nom;Type;Produits;Adresse;Code postal;Commune;Coord X;Coord Y;Latitude;Longitude;Téléphone"
    ]
    for n in range(1, rows + 1):
        commune, postal, lat, lon = rng.choice(places)
        lat += rng.uniform(-0.02, 0.02)
        lon += rng.uniform(-0.03, 0.03)
        name = f"{rng.choice(NAMES)} {rng.choice(PLACES)} {n}"
        kind = rng.choice(KINDS)
        phone = f"02 {rng.randint(10, 99)} {n // 10000:02d} {(n // 100) % 100:02d} {n % 100:02d}"
        x = y = la = lo = ""
        shape = rng.random()
        if shape < 0.4:
            x, y = (f"{v:.1f}".replace(".", ",") for v in to_l93.transform(lon, lat))
        elif shape < 0.7:
            la, lo = f"{lat:.6f}", f"{lon:.6f}"
        elif shape < 0.75:
            la, lo = f"{lon:.6f}", f"{lat:.6f}"  # swapped
        if rng.random() < 0.04 and n > 10:  # a duplicate of an earlier row (same phone)
            phone = f"02 {rng.randint(10, 99)} 00 00 {rng.randint(1, 9):02d}"
        line = f"P-{n:06d};{name};{kind};Légumes, œufs;{n} route de {commune};{postal};{commune};{x};{y};{la};{lo};{phone}"
        if rng.random() < 0.02:
            line = f"P-{n:06d};{name}"  # broken row
        lines.append(line)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))


def run_import(env, path: Path, source: str) -> tuple[float, float, str]:
    """(seconds, peak MB, summary) of one import_list process."""
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", MEASURE, str(path), source],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    # The command prints its summary after the analysis and again after the import: keep
    # the last one.
    lines = done.stdout.splitlines()[:-1]
    last = max((i for i, line in enumerate(lines) if line.startswith("Bilan")), default=-1)
    summary = " / ".join(line.strip() for line in lines[last + 1 :] if line.startswith("  "))
    return seconds, peak_kb / 1024, summary


# Runs the command in-process and prints its own peak RSS last: the child's figure, not
# the bench's nor the shell's.
MEASURE = """
import resource, sys, django
django.setup()
from django.core.management import call_command
call_command("import_list", sys.argv[1], "--source", sys.argv[2], "--licence", "Licence Ouverte 2.0", "--yes", "--no-progress")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


# The floor an import is compared with: one bulk INSERT (in batches of 1,000) of the same
# rows' listings, positions and names only, in one transaction rolled back afterwards. What
# the import does beyond it (reading, cleaning, resolving communes, duplicates, history,
# categories, hours, the report) is the ratio.
BULK = """
import csv, sys, time, django
django.setup()
from django.contrib.gis.geos import Point
from django.db import transaction
from geodata.coordinates import parse_number, position
from directory.models import Actor
rows = []
with open(sys.argv[1], encoding="cp1252", newline="") as fh:
    for n, row in enumerate(csv.DictReader(fh, delimiter=";")):
        pair = (parse_number(row.get("Latitude")), parse_number(row.get("Longitude")))
        if None in pair:
            pair = (parse_number(row.get("Coord X")), parse_number(row.get("Coord Y")))
        try:
            found = position(*pair) if None not in pair else None
        except Exception:
            found = None
        if found is None:
            continue
        point = Point(found.longitude, found.latitude, srid=4326)
        rows.append(Actor(
            name=row["Nom"], slug=f"bulk-{n}", kind="producer", source="bulk",
            source_key=row["Identifiant"], location=point, public_location=point,
            products=row.get("Produits") or "", address=row.get("Adresse") or "",
            postal_code=row.get("Code postal") or "", search_text=row["Nom"].lower(),
        ))
with transaction.atomic():
    started = time.perf_counter()
    Actor.objects.bulk_create(rows, batch_size=1000)
    seconds = time.perf_counter() - started
    transaction.set_rollback(True)
print(len(rows), seconds)
"""


def bulk_insert(env, path: Path) -> tuple[int, float]:
    """(rows, seconds) of the bulk INSERT baseline (BULK)."""
    done = subprocess.run(
        [PY, "-c", BULK, str(path)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    rows, seconds = done.stdout.split()[-2:]
    return int(rows), float(seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        url = args.database_url or f"spatialite:///{folder / 'imports.sqlite3'}"
        env = django_env(url, folder)
        # Both idempotent: a given PostGIS database may be empty or already migrated.
        for command in (["migrate", "--noinput"], ["import_territories"]):
            subprocess.run([PY, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True)
        places = communes(env)
        engine = "PostGIS" if url.startswith("postgis") else "SpatiaLite"
        print(f"Import de listes ({engine}, {len(places)} communes tirées au sort)")
        print(
            "| lignes | fichier | import | lignes/s | insertion en bloc | import / insertion (par ligne) "
            "| mémoire max | réimport (inchangé) | mémoire max |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        peaks = []
        for rows in args.rows:
            path = folder / f"liste-{rows}.csv"
            write_csv(path, rows, places)
            source = f"Bench {rows}"
            seconds, peak, summary = run_import(env, path, source)
            again, peak_again, summary_again = run_import(env, path, source)
            bulk_rows, bulk_seconds = bulk_insert(env, path)
            peaks.append(peak)
            size = path.stat().st_size / 1024 / 1024
            # Per row: the baseline only inserts the rows that have coordinates.
            ratio = (seconds / rows) / (bulk_seconds / bulk_rows)

            def fr(value, digits=0):
                """French figures: narrow no-break space for thousands, decimal comma."""
                text = f"{value:,.{digits}f}"
                return text.replace(",", "\u202f").replace(".", ",")

            print(
                f"| {fr(rows)} | {fr(size, 1)} Mo | {fr(seconds)} s | {fr(rows / seconds)} "
                f"| {fr(bulk_seconds, 2)} s ({fr(bulk_rows)} fiches) | {fr(ratio)}× "
                f"| {fr(peak)} Mo | {fr(again)} s | {fr(peak_again)} Mo |"
            )
            print(f"  bilan : {summary}")
            print(f"  réimport : {summary_again}")
        if len(peaks) > 1:
            print(
                f"Mémoire max {args.rows[-1]:,} / {args.rows[0]:,} lignes : "
                f"{peaks[-1] / peaks[0]:.2f}×".replace(",", "\u202f").replace(".", ",")
            )
        if max(peaks) > BOUND_MB:
            sys.exit(f"Mémoire max {max(peaks):.0f} Mo > {BOUND_MB} Mo")


if __name__ == "__main__":
    main()
