"""Idempotent import of territories into the database (used by ``manage.py import_territories``)."""

from collections import Counter
from dataclasses import dataclass, field

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from . import national
from .models import Commune, Departement, PostalCode, Region
from .outlines import store_simplified_outlines
from .signals import territories_imported
from .sources import Territories
from .text import normalize

# ~100 m: plenty for a département outline drawn "for orientation only".
OUTLINE_TOLERANCE = 0.001
BATCH_SIZE = 500


@dataclass
class ImportSummary:
    regions: int = 0
    departements: int = 0
    communes_created: int = 0
    communes_updated: int = 0
    postal_codes: int = 0
    # The national layer (geodata.national): names of every commune and former commune,
    # and every département's outline.
    place_names: int = 0
    french_departements: int = 0
    # Town-hall points corrected because they lay outside their commune (geodata.townhalls):
    # {TownhallFix: communes}.
    townhalls_fixed: Counter = field(default_factory=Counter)


def to_geos(geometry, multi: bool = True) -> GEOSGeometry | None:
    """A shapely geometry as a GEOS one in SRID 4326 (polygons promoted to multipolygons)."""
    if geometry is None or geometry.is_empty:
        return None
    if multi and geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    result = GEOSGeometry(memoryview(shapely.to_wkb(geometry)))
    result.srid = 4326
    return result


def derived_outline(outlines) -> GEOSGeometry | None:
    """Union of commune outlines, simplified: département and région outlines."""
    merged = shapely.union_all([g for g in outlines if g is not None])
    simplified = shapely.simplify(merged, OUTLINE_TOLERANCE, preserve_topology=True)
    # Keep polygons only: a union can leave stray lines where outlines barely touch.
    parts = [p for p in shapely.get_parts(simplified) if p.geom_type in ("Polygon", "MultiPolygon")]
    return to_geos(shapely.union_all(parts)) if parts else None


def import_territories(
    data: Territories, departement_codes: list[str], progress=None
) -> ImportSummary:
    """Create or update régions, départements, communes and postal codes for ``departement_codes``."""
    summary = ImportSummary()
    wanted = set(departement_codes)
    communes = [c for c in data.communes.values() if c.departement in wanted]
    by_dep: dict[str, list] = {}
    for record in communes:
        by_dep.setdefault(record.departement, []).append(record)
    region_codes = {data.departements[code][1] for code in wanted}
    summary.townhalls_fixed = Counter(c.townhall_fix for c in communes if c.townhall_fix)

    with transaction.atomic():
        for code in sorted(region_codes):
            members = [d for d, (_, r) in data.departements.items() if r == code]
            complete = wanted.issuperset(members)
            outline = (
                derived_outline([c.outline for d in members for c in by_dep.get(d, [])])
                if complete
                else None
            )
            defaults = {"name": data.regions[code]}
            if complete:  # a partial région keeps no (misleading) partial outline
                defaults["outline"] = outline
            Region.objects.update_or_create(code=code, defaults=defaults)
            summary.regions += 1
        regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
        for code in sorted(wanted):
            name, region_code = data.departements[code]
            Departement.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "region": regions[region_code],
                    "outline": derived_outline([c.outline for c in by_dep.get(code, [])]),
                },
            )
            summary.departements += 1
        departements = {d.code: d.pk for d in Departement.objects.filter(code__in=wanted)}
        # The map's outlines, simplified here once rather than on every request.
        store_simplified_outlines(Departement.objects.filter(code__in=wanted))

    existing = set(
        Commune.objects.filter(code__in=[c.code for c in communes]).values_list("code", flat=True)
    )
    for start in range(0, len(communes), BATCH_SIZE):
        batch = communes[start : start + BATCH_SIZE]
        with transaction.atomic():
            Commune.objects.bulk_create(
                [
                    Commune(
                        code=c.code,
                        name=c.name,
                        search_name=normalize(c.name),
                        departement_id=departements[c.departement],
                        population=c.population,
                        townhall=_point(c.townhall_wkb),
                        outline=to_geos(c.outline),
                    )
                    for c in batch
                ],
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=[
                    "name",
                    "search_name",
                    "departement",
                    "population",
                    "townhall",
                    "outline",
                ],
            )
            summary.postal_codes += _sync_postal_codes(batch)
        if progress:
            progress(len(batch))
    summary.place_names, summary.french_departements = national.store(data)
    summary.communes_updated = len(existing)
    summary.communes_created = len(communes) - len(existing)
    territories_imported.send(
        sender=Commune, communes=Commune.objects.filter(departement__code__in=wanted)
    )
    return summary


def _point(hex_wkb: str | None):
    if not hex_wkb:
        return None
    point = GEOSGeometry(hex_wkb)
    point.srid = 4326
    return point


def _sync_postal_codes(batch) -> int:
    """Make the postal codes of these communes exactly those of the source."""
    ids = dict(Commune.objects.filter(code__in=[c.code for c in batch]).values_list("code", "pk"))
    wanted = {(p, ids[c.code]) for c in batch for p in c.postal_codes}
    current = set(
        PostalCode.objects.filter(commune_id__in=ids.values()).values_list("code", "commune_id")
    )
    for code, commune_id in current - wanted:
        PostalCode.objects.filter(code=code, commune_id=commune_id).delete()
    PostalCode.objects.bulk_create(
        [PostalCode(code=code, commune_id=commune_id) for code, commune_id in wanted - current]
    )
    return len(wanted)
