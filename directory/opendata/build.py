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
from django.utils import timezone
from tqdm import tqdm

from geodata.geojson import rfc7946_problems

from ..models import Actor, Category, DistributionLink, Label, OpeningSlot, SaleMode
from . import writers
from .records import queryset, records


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


def directory() -> Path:
    return Path(settings.TOUTPRES_OPEN_DATA["DIR"])


def data_stamp() -> str:
    """Changes whenever an export would: any listing, link, schedule or reference edit.

    Aggregates only (a few index scans), cheap enough to ask on every download.
    """
    parts = [
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


def meta(generated_at) -> dict:
    data = settings.TOUTPRES_OPEN_DATA
    return {
        "name": f"Tout Près — {data['PUBLISHER']}",
        "publisher": data["PUBLISHER"],
        "licence": data["LICENCE_NAME"],
        "licence_url": data["LICENCE_URL"],
        "source": settings.TOUTPRES_SITE_URL + "/donnees/",
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "osm_source": f"Tout Près — {data['PUBLISHER']} ({data['LICENCE_NAME']})",
    }


@dataclass
class Built:
    format: Format
    path: Path
    rows: int
    bytes: int
    seconds: float


def _metadata_path(fmt: Format, where: Path) -> Path:
    return where / f".{fmt.filename}.json"


def read_metadata(fmt: Format, where: Path | None = None) -> dict | None:
    path = _metadata_path(fmt, where or directory())
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build(fmt: Format, where: Path | None = None, progress: bool = False, stamp: str | None = None):
    """Write one format to a temporary file, check it, then move it into place."""
    where = where or directory()
    where.mkdir(parents=True, exist_ok=True)
    stamp = stamp or data_stamp()
    now = timezone.localtime()
    info = meta(now)
    started = time.perf_counter()
    rows = records(settings.TOUTPRES_SITE_URL)
    if progress:
        rows = tqdm(rows, total=queryset().count(), desc=fmt.label, unit=" fiches", leave=True)
    handle, temporary = tempfile.mkstemp(dir=where, prefix=f".{fmt.key}-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
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
        final = where / fmt.filename
        os.chmod(temporary, 0o644)
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    size = final.stat().st_size
    _metadata_path(fmt, where).write_text(
        json.dumps(
            {"stamp": stamp, "generated_at": info["generated_at"], "rows": count, "bytes": size}
        )
    )
    return Built(fmt, final, count, size, time.perf_counter() - started)


META_MEMBERS = ("name", "publisher", "licence", "licence_url", "source", "generated_at")


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


def fresh(fmt: Format) -> tuple[Path, dict]:
    """The file of ``fmt`` for the current data, built now if missing or stale.

    Concurrent requests wait for one build instead of each running its own.
    """
    where = directory()
    stamp = data_stamp()
    metadata = read_metadata(fmt, where)
    path = where / fmt.filename
    if _current(metadata, stamp, path):
        return path, metadata
    with _lock(where):
        metadata = read_metadata(fmt, where)
        if not _current(metadata, stamp, path):
            build(fmt, where, stamp=stamp)
            metadata = read_metadata(fmt, where)
    return path, metadata
