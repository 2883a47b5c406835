"""Load an open-data CSV export back into a directory: a mirror, a partner's own instance,
or a restore. Listings are matched on their slug; places are loaded before the links to them.
"""

import csv
import datetime
import re
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.text import slugify

from geodata.models import Commune

from ..models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    ImportSource,
    Label,
    ModerationStatus,
    OpeningSlot,
    SaleMode,
    Season,
)
from ..spreadsheet import original
from .licences import web_url
from .records import FIELDS, LEGACY_FIELDS, platform

SLOT = re.compile(r"^([0-6]) (\d\d):(\d\d)-(\d\d):(\d\d)(?: (\d\d)-(\d\d)/(\d\d)-(\d\d))?$")
LINK = re.compile(r"^([-\w]+)@([0-6]?)(?: (\d\d):(\d\d)-(\d\d):(\d\d))?$")


class ImportFormatError(ValueError):
    """The file is not one of our exports: says where and why, nothing is written."""


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    links: int = 0
    errors: list[str] = field(default_factory=list)


def _split(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


def _time(h, m) -> datetime.time:
    return datetime.time(int(h), int(m))


def read(path, delimiter: str | None = None) -> list[dict]:
    """The rows of an export, checked against our column schema."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        if delimiter is None:
            delimiter = ";" if sample.split("\n", 1)[0].count(";") > 1 else ","
        reader = csv.DictReader(handle, delimiter=delimiter)
        if reader.fieldnames not in (FIELDS, LEGACY_FIELDS):
            raise ImportFormatError(
                "Colonnes inattendues : le fichier doit être un export CSV de Tout Près "
                f"(colonnes {', '.join(FIELDS)})."
            )
        # Cells the export neutralised for spreadsheets ('=…) read back as they were.
        return [{key: original(value or "") for key, value in row.items()} for row in reader]


def _check(rows: list[dict]) -> None:
    problems = []
    kinds = set(ActorKind.values)
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        if row["kind"] not in kinds:
            problems.append(f"ligne {number} : type inconnu « {row['kind']} »")
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            problems.append(f"ligne {number} : position invalide")
        for slot in _split(row["opening_slots"]):
            if not SLOT.match(slot):
                problems.append(f"ligne {number} : horaire illisible « {slot} »")
        for link in _split(row["sells_at"]):
            if not LINK.match(link):
                problems.append(f"ligne {number} : lieu de vente illisible « {link} »")
    if problems:
        raise ImportFormatError("; ".join(problems[:20]))


def _source(row: dict, own: str, sources: dict, report: Report) -> ImportSource | None:
    name = row["source"].strip()[:120]
    if not name or name == own:
        return None
    if name not in sources:
        source = ImportSource.objects.filter(name=name).first()
        url = row["licence_url"].strip()[:200]
        if source is None:
            base = slugify(name)[:70] or "source"
            slug, n = base, 1
            while ImportSource.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            source = ImportSource.objects.create(
                name=name,
                slug=slug,
                licence=row["licence"][:150],
                # A link shown on listing pages: web addresses only (no javascript:…).
                licence_url=web_url(url),
            )
        elif source.licence != row["licence"]:
            report.errors.append(
                f"source « {name} » : licence du fichier « {row['licence']} » différente de "
                f"celle de la source existante « {source.licence} », gardée"
            )
        sources[name] = source
    return sources[name]


@transaction.atomic
def load(rows: list[dict], progress=lambda items: items) -> Report:
    """Create or update one published listing per row; all or nothing."""
    _check(rows)
    report = Report()
    refs = {
        "categories": {c.slug: c for c in Category.objects.all()},
        "labels": {c.slug: c for c in Label.objects.all()},
        "sale_modes": {c.slug: c for c in SaleMode.objects.all()},
    }
    communes = {
        c.code: c
        for c in Commune.objects.filter(code__in={r["insee"] for r in rows if r["insee"]}).defer(
            "outline"
        )
    }
    actors = {}
    own = platform().source
    sources: dict[str, ImportSource | None] = {}
    for row in progress(rows):
        values = {
            "name": row["name"],
            "kind": row["kind"],
            "products": row["products"],
            "description": row["description"],
            "address": row["address"],
            "postal_code": row["postal_code"],
            "commune": communes.get(row["insee"]),
            "location": Point(float(row["longitude"]), float(row["latitude"]), srid=4326),
            "location_is_approximate": row["position_approximate"] == "true",
            "phone": row["phone"],
            "email": row["email"],
            "website": row["website"],
            "shop_url": row["shop_url"],
            "status": ModerationStatus.PUBLISHED,
        }
        if "source" in row:
            # A listing keeps its source and licence: a partner's list travels as a source
            # of this instance, never as a listing of ours under our export licence.
            values["import_source"] = _source(row, own, sources, report)
        actor, created = Actor.objects.update_or_create(slug=row["slug"], defaults=values)
        report.created += created
        report.updated += not created
        for name, table in refs.items():
            wanted = [table[s] for s in _split(row[name]) if s in table]
            getattr(actor, name).set(wanted)
            report.errors += [
                f"{row['slug']} : {name} inconnu « {s} »"
                for s in _split(row[name])
                if s not in table
            ]
        actor.opening_slots.all().delete()
        actor.seasons.all().delete()
        for text in _split(row["opening_slots"]):
            day, h1, m1, h2, m2, sm, sd, em, ed = SLOT.match(text).groups()
            season = None
            if sm:
                season, _ = Season.objects.get_or_create(
                    actor=actor,
                    start_month=int(sm),
                    start_day=int(sd),
                    end_month=int(em),
                    end_day=int(ed),
                    defaults={"name": f"{sd}/{sm} – {ed}/{em}"},
                )
            OpeningSlot.objects.create(
                actor=actor,
                weekday=int(day),
                opens=_time(h1, m1),
                closes=_time(h2, m2),
                season=season,
            )
        actors[row["slug"]] = actor
    # Links last: a producer's row may come before its market's.
    for row in rows:
        actor = actors[row["slug"]]
        actor.distribution_links.all().delete()
        for text in _split(row["sells_at"]):
            slug, day, h1, m1, h2, m2 = LINK.match(text).groups()
            place = actors.get(slug) or Actor.objects.filter(slug=slug).first()
            if place is None:
                report.errors.append(f"{row['slug']} : lieu de vente « {slug} » absent du fichier")
                continue
            DistributionLink.objects.create(
                actor=actor,
                place=place,
                weekday=int(day) if day else None,
                starts=_time(h1, m1) if h1 else None,
                ends=_time(h2, m2) if h2 else None,
            )
            report.links += 1
    return report
