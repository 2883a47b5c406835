"""Build the export files, atomically, and rebuild them only when the data changed.

Files live in settings.TOUTPRES_OPEN_DATA["DIR"], each with a small metadata file holding
the data stamp it was built from. The download view rebuilds a stale file on demand (under
a lock, once); `manage.py export_opendata` builds them all, for cron.
"""

import fcntl
import hashlib
import json
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone, translation
from tqdm import tqdm

from geodata.geojson import rfc7946_problems

from ..models import (
    Actor,
    Category,
    DistributionLink,
    ImportSource,
    Label,
    OpeningSlot,
    SaleMode,
)
from . import licences, writers
from .licences import Licence
from .records import export_licence, platform, queryset, records, split


@dataclass(frozen=True)
class Format:
    key: str
    filename: str
    content_type: str
    label: str


FORMATS = {
    f.key: f
    for f in [
        Format("geojson", "tout-pres.geojson", "application/geo+json", "GeoJSON (RFC 7946)"),
        Format("csv", "tout-pres.csv", "text/csv; charset=utf-8", "CSV (UTF-8)"),
        Format("jsonld", "tout-pres.jsonld", "application/ld+json", "JSON-LD schema.org"),
        Format("osm", "tout-pres.osm", "application/vnd.openstreetmap.data+xml", "OSM XML (JOSM)"),
    ]
}


def filename(fmt: Format, licence: Licence | None = None) -> str:
    """``tout-pres.csv`` for the main files, ``tout-pres-odbl.csv`` for a licence's own."""
    if licence is None:
        return fmt.filename
    stem, suffix = fmt.filename.rsplit(".", 1)
    return f"{stem}-{licences.TERMS[licence].slug}.{suffix}"


def separate_licences() -> list[Licence]:
    """Licences that may have files of their own: open, but not compatible with the export
    licence (ODbL and CC-BY-SA under the default Licence Ouverte 2.0)."""
    return licences.separate(export_licence())


def resolve(name: str) -> tuple[Format, Licence | None] | None:
    """The format and licence of a file name served under /donnees/, or None."""
    for fmt in FORMATS.values():
        if name == fmt.filename:
            return fmt, None
        for licence in separate_licences():
            if name == filename(fmt, licence):
                return fmt, licence
    return None


def directory() -> Path:
    return Path(settings.TOUTPRES_OPEN_DATA["DIR"])


def data_stamp() -> str:
    """Changes whenever an export would: any listing, link, schedule or reference edit.

    Aggregates only (a few index scans), cheap enough to ask on every download. A source's
    name or licence text decides where its listings go: they are in the stamp (a handful
    of rows), with the export licence itself.
    """
    data = settings.TOUTPRES_OPEN_DATA
    parts = [
        data["LICENCE_NAME"],
        data["LICENCE_URL"],
        data["PUBLISHER"],
        *ImportSource.objects.order_by("pk").values_list("pk", "name", "licence", "licence_url"),
        Actor.objects.published().count(),
        Actor.objects.aggregate(m=Max("updated_at"))["m"],
        *DistributionLink.objects.aggregate(n=Count("pk"), m=Max("pk")).values(),
        *OpeningSlot.objects.aggregate(n=Count("pk"), m=Max("pk")).values(),
        *(
            m.objects.aggregate(n=Count("pk"), m=Max("pk")).values()
            for m in (Category, Label, SaleMode)
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def licence_terms(licence: Licence | None = None) -> tuple[str, str]:
    """(name, URL) of the licence a file is published under."""
    if licence is None:
        data = settings.TOUTPRES_OPEN_DATA
        return data["LICENCE_NAME"], data["LICENCE_URL"]
    return str(licence.label), licences.url(licence)


def meta(generated_at, licence: Licence | None = None) -> dict:
    data = settings.TOUTPRES_OPEN_DATA
    name, url = licence_terms(licence)
    where = split()
    if licence is None:
        members = [platform(), *where.main_sources]
    else:
        members = where.separate.get(licence, (0, []))[1]
    return {
        "name": f"Tout Près — {data['PUBLISHER']}"
        + ("" if licence is None else f" ({licences.TERMS[licence].slug})"),
        "publisher": data["PUBLISHER"],
        "licence": name,
        "licence_url": url,
        "licence_id": (licence or export_licence()).value,
        "source": settings.TOUTPRES_SITE_URL + "/donnees/",
        "generated_at": generated_at.isoformat(timespec="seconds"),
        # Whom to credit: every source of the listings in this file, with its own licence.
        "sources": [
            {
                "name": p.source,
                "licence": p.licence,
                "licence_url": p.licence_url,
                "licence_id": p.licence_id.value,
            }
            for p in members
        ],
        "osm_source": f"Tout Près — {data['PUBLISHER']} ({data['LICENCE_NAME']})",
        "osm_via": f"Tout Près — {data['PUBLISHER']}",
    }


@dataclass
class Built:
    format: Format
    path: Path
    rows: int
    bytes: int
    seconds: float
    licence: Licence | None = None


def _metadata_path(fmt: Format, where: Path, licence: Licence | None = None) -> Path:
    return where / f".{filename(fmt, licence)}.json"


def read_metadata(
    fmt: Format, where: Path | None = None, licence: Licence | None = None
) -> dict | None:
    path = _metadata_path(fmt, where or directory(), licence)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build(*args, **kwargs) -> "Built":
    """Write one format (of the main files, or of ``licence``'s own) to a temporary file,
    check it, then move it into place.

    In the site's language whoever asks: a file built for an English visitor's download
    is the same file as the one cron builds (type labels, licence names)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _build(*args, **kwargs)


def _build(
    fmt: Format,
    where: Path | None = None,
    progress: bool = False,
    stamp: str | None = None,
    licence: Licence | None = None,
):
    """Write one format (of the main files, or of ``licence``'s own) to a temporary file,
    check it, then move it into place."""
    if licence is not None and licence not in separate_licences():
        raise ValueError(f"Pas de fichiers séparés pour la licence {licence.value}.")
    where = where or directory()
    where.mkdir(parents=True, exist_ok=True)
    stamp = stamp or data_stamp()
    now = timezone.localtime()
    info = meta(now, licence)
    started = time.perf_counter()
    rows = records(settings.TOUTPRES_SITE_URL, licence=licence)
    if progress:
        rows = tqdm(
            rows,
            total=queryset(licence).count(),
            desc=fmt.label if licence is None else f"{fmt.label} — {licence.value}",
            unit=" fiches",
            leave=True,
        )
    handle, temporary = tempfile.mkstemp(dir=where, prefix=f".{fmt.key}-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding=writers.encoding(fmt.key), newline="") as out:
            if fmt.key == "csv":
                count = writers.write_csv(rows, out, settings.TOUTPRES_OPEN_DATA["CSV_DELIMITER"])
            elif fmt.key == "geojson":
                count = writers.write_geojson(rows, out, {k: info[k] for k in META_MEMBERS})
            elif fmt.key == "jsonld":
                count = writers.write_jsonld(rows, out, info)
            else:
                count = writers.write_osm(rows, out, info)
        if fmt.key == "geojson":
            # Never publish a file that breaks the standard (checked on the geometry).
            with open(temporary, encoding="utf-8") as written:
                problems = rfc7946_problems(json.load(written))
            if problems:
                raise ValueError("GeoJSON non conforme : " + "; ".join(problems[:5]))
        final = where / filename(fmt, licence)
        os.chmod(temporary, 0o644)
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    size = final.stat().st_size
    _metadata_path(fmt, where, licence).write_text(
        json.dumps(
            {"stamp": stamp, "generated_at": info["generated_at"], "rows": count, "bytes": size}
        )
    )
    return Built(fmt, final, count, size, time.perf_counter() - started, licence)


META_MEMBERS = (
    "name",
    "publisher",
    "licence",
    "licence_url",
    "licence_id",
    "source",
    "generated_at",
    "sources",
)


@contextmanager
def _lock(where: Path):
    where.mkdir(parents=True, exist_ok=True)
    with open(where / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _current(metadata: dict | None, stamp: str, path: Path) -> bool:
    """Built from this data, not too long ago (an edit the stamp cannot see — a slot's
    hours changed in place — shows up within MAX_AGE), and still on disk."""
    if not metadata or metadata.get("stamp") != stamp or not path.exists():
        return False
    age = time.time() - path.stat().st_mtime
    return age < settings.TOUTPRES_OPEN_DATA["MAX_AGE"]


def fresh(fmt: Format, licence: Licence | None = None) -> tuple[Path, dict]:
    """The file of ``fmt`` (main, or ``licence``'s own) for the current data, built now if
    missing or stale.

    Concurrent requests wait for one build instead of each running its own.
    """
    where = directory()
    stamp = data_stamp()
    metadata = read_metadata(fmt, where, licence)
    path = where / filename(fmt, licence)
    if _current(metadata, stamp, path):
        return path, metadata
    with _lock(where):
        metadata = read_metadata(fmt, where, licence)
        if not _current(metadata, stamp, path):
            build(fmt, where, stamp=stamp, licence=licence)
            metadata = read_metadata(fmt, where, licence)
    return path, metadata
