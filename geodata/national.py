"""The national layer of the territories: every commune's names and every département's
outline, loaded whole whatever départements ``import_territories`` was asked for.

A regional site imports national lists. Whether « Saint-Ouen » is unique, whether a point
lies in a bordering département or in Switzerland, cannot be answered from the region's
communes alone (geodata.names, geodata.scope)."""

import hashlib
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import shapely
from django.conf import settings
from django.db import transaction

from .models import FrenchDepartement, PlaceKind, PlaceName
from .sources import Territories

# ~20 m: France told from the sea and its neighbours (geodata.scope allows as much again).
OUTLINE_TOLERANCE = 0.0002
# Communes are unioned on this grid (~10 m): exact enough, and ten times faster than exact.
GRID = 0.0001
# Départements closer than this (~50 m) share a border (simplified outlines leave slivers).
BORDER_GAP = 0.0005
BATCH_SIZE = 2000


def place_names(data: Territories) -> list[PlaceName]:
    rows = []
    for record in data.communes.values():
        rows.append(
            PlaceName(
                code=record.code,
                name=record.name,
                kind=PlaceKind.COMMUNE,
                commune_code=record.code,
                departement=record.departement,
                population=record.population,
                postal_codes=" ".join(sorted(record.postal_codes)),
            )
        )
    for part in data.parts:
        parent = data.communes[part.parent]
        rows.append(
            PlaceName(
                code=part.code,
                name=part.name,
                kind=part.kind,
                commune_code=parent.code,
                departement=parent.departement,
                population=parent.population,
                postal_codes=" ".join(sorted(parent.postal_codes)),
            )
        )
    return rows


def departement_shapes(data: Territories) -> dict[str, tuple[bytes, list[str]]]:
    """{code: (outline as WKB, bordering codes)} for every département, overseas included.

    The unions take ~10 s; they depend on the source files only, so they are kept on disk
    beside the other derived files, keyed by the files' fingerprint (a test session or a
    second import reuses them)."""
    cache = _cache_path(data)
    if cache is not None and cache.exists():
        try:
            stored = json.loads(cache.read_text())
            return {code: (bytes.fromhex(wkb), near) for code, (wkb, near) in stored.items()}
        except (OSError, ValueError):
            pass  # rebuilt below
    by_dep = defaultdict(list)
    for record in data.communes.values():
        if record.outline is not None:
            by_dep[record.departement].append(record.outline)
    codes = sorted(by_dep)
    outlines = [shapely.union_all(by_dep[code], grid_size=GRID) for code in codes]
    tree = shapely.STRtree(outlines)
    shapes = {}
    for code, outline in zip(codes, outlines, strict=True):
        near = tree.query(shapely.buffer(outline, BORDER_GAP), predicate="intersects")
        simplified = shapely.simplify(outline, OUTLINE_TOLERANCE, preserve_topology=True)
        shapes[code] = (
            shapely.to_wkb(simplified),
            sorted(codes[i] for i in near if codes[i] != code),
        )
    if cache is not None:
        _write(cache, {code: (wkb.hex(), near) for code, (wkb, near) in shapes.items()})
    return shapes


def _cache_path(data: Territories) -> Path | None:
    var = getattr(settings, "VAR_DIR", None)
    if var is None or data.folder is None:
        return None
    source = Path(data.folder) / "communes.csv.lzma"
    try:
        stat = source.stat()
    except OSError:
        return None
    stamp = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{OUTLINE_TOLERANCE}|{GRID}|2"
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return Path(var) / "cache" / f"departements-{digest}.json"


def _write(path: Path, content) -> None:
    """Atomically, so parallel test sessions never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".departements-")
        with os.fdopen(fd, "w") as fh:
            json.dump(content, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only var/ only costs the unions next time


@transaction.atomic
def store(data: Territories) -> tuple[int, int]:
    """Replace the national names and départements; returns how many of each."""
    from .importer import to_geos

    names = place_names(data)
    PlaceName.objects.all().delete()
    PlaceName.objects.bulk_create(names, batch_size=BATCH_SIZE)
    shapes = departement_shapes(data)
    # Nothing refers to these rows: replaced whole, in one insert.
    FrenchDepartement.objects.all().delete()
    FrenchDepartement.objects.bulk_create(
        [
            FrenchDepartement(
                code=code,
                name=data.departements[code][0],
                region_code=data.departements[code][1],
                outline=to_geos(shapely.from_wkb(wkb)),
                neighbours=" ".join(near),
            )
            for code, (wkb, near) in shapes.items()
        ]
    )
    from .names import forget

    transaction.on_commit(forget)
    forget()
    return len(names), len(shapes)
