"""The published directory as flat records: one dict per actor, the columns of every export.

Built from what the public site shows: public contacts only, and for producers who sell
from home the centre of their commune, never their address or their house.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from ..models import Actor, DistributionLink, ImportSource, ModerationStatus
from . import licences
from .licences import Licence
from .osm import opening_hours


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    example: str = ""


# The CSV schema, in file order (docs/opendata.md and the /donnees/ page are built from it).
COLUMNS = [
    Column("id", _("Identifiant de la fiche sur cette plateforme (entier)."), "36"),
    Column("slug", _("Identifiant stable dans l'adresse de la fiche."), "ferme-caprine-bertrand"),
    Column("name", _("Nom."), "Ferme caprine Bertrand"),
    Column(
        "kind", _("Type : producer, farm_shop, shop, artisan, market, pickup, basket."), "producer"
    ),
    Column("kind_label", _("Type, en clair."), "Producteur"),
    Column(
        "categories",
        _("Catégories de produits (identifiants séparés par |)."),
        "fromage-laitier|oeufs",
    ),
    Column("labels", _("Labels (identifiants séparés par |)."), "bio"),
    Column("sale_modes", _("Modes de vente (identifiants séparés par |)."), "sur-place|marche"),
    Column("products", _("Produits, texte libre."), "fromages de chèvre, faisselles"),
    Column("description", _("Présentation."), ""),
    Column(
        "address",
        _("Adresse ; vide pour un producteur qui vend chez lui."),
        "54 allée des Tilleuls",
    ),
    Column("postal_code", _("Code postal."), "41000"),
    Column("commune", _("Commune."), "Blois"),
    Column("insee", _("Code INSEE de la commune."), "41018"),
    Column("departement", _("Code du département."), "41"),
    Column("latitude", _("Latitude WGS 84, 6 décimales (position publique)."), "47.589932"),
    Column("longitude", _("Longitude WGS 84, 6 décimales (position publique)."), "1.349548"),
    Column(
        "position_approximate",
        _(
            "true : producteur à domicile, la position est la mairie de sa commune (à défaut "
            "un point de la commune), jamais sa maison."
        ),
        "false",
    ),
    Column("phone", _("Téléphone public."), "02 61 91 00 35"),
    Column("email", _("E-mail public."), ""),
    Column("website", _("Site web."), ""),
    Column("shop_url", _("Boutique en ligne."), ""),
    Column(
        "opening_hours", _("Horaires, syntaxe OpenStreetMap opening_hours."), "Tu-Fr 09:00-12:30"
    ),
    Column(
        "opening_slots",
        _(
            "Horaires, forme machine : « jour HH:MM-HH:MM » (0 = lundi), saison « MM-JJ/MM-JJ » "
            "en plus, séparés par |."
        ),
        "5 08:00-12:30|2 17:00-19:00 06-01/09-30",
    ),
    Column(
        "sells_at",
        _("Lieux de vente : « slug@jour HH:MM-HH:MM » (jour vide : sur commande), séparés par |."),
        "marche-de-blois@5 08:00-12:00",
    ),
    Column(
        "url", _("Adresse de la fiche sur le site."), "https://…/acteurs/ferme-caprine-bertrand/"
    ),
    Column("updated_at", _("Dernière modification (ISO 8601)."), "2026-11-22T21:49:10+01:00"),
    # Added after the first published schema: at the end, so that readers by position and
    # older exports keep working (import_opendata_csv reads both).
    Column(
        "source",
        _("D'où vient la fiche : la liste du partenaire qui l'a fournie, ou la plateforme."),
        "Marchés découverts — Ville de Paris",
    ),
    Column(
        "licence",
        _("Licence de la fiche, telle que sa source l'énonce (à respecter et à citer)."),
        "ODbL 1.0",
    ),
    Column("licence_url", _("Adresse du texte de cette licence."), "https://opendatacommons.org/…"),
    Column(
        "licence_id",
        _("Licence reconnue, identifiant SPDX (etalab-2.0, ODbL-1.0, CC-BY-4.0…)."),
        "etalab-2.0",
    ),
]
FIELDS = [c.name for c in COLUMNS]
# The columns of the exports written before source and licence were added.
LEGACY_FIELDS = FIELDS[: FIELDS.index("source")]
MULTI = {"categories", "labels", "sale_modes", "opening_slots", "sells_at"}


# --- licences: who each listing comes from, and which file it may go in -----------------


@dataclass(frozen=True)
class Provenance:
    """A listing's source and licence, as its records carry them."""

    source: str
    licence: str  # as the source states it
    licence_url: str
    licence_id: Licence

    @property
    def family(self):
        return licences.family(self.licence_id)


def export_licence() -> Licence:
    """The configured licence of the main files, classified like any source's."""
    data = settings.TOUTPRES_OPEN_DATA
    return licences.classify(data["LICENCE_NAME"], data["LICENCE_URL"])


def platform() -> Provenance:
    """Listings registered on the platform itself: under the export licence."""
    data = settings.TOUTPRES_OPEN_DATA
    return Provenance(
        f"Tout Près — {data['PUBLISHER']}",
        data["LICENCE_NAME"],
        data["LICENCE_URL"],
        export_licence(),
    )


def provenance_of_source(source) -> Provenance:
    licence = licences.classify(source.licence, source.licence_url)
    # Links go into files and pages: web addresses only, whatever a row of the database says.
    link = licences.web_url(source.licence_url)
    return Provenance(source.name, source.licence, link or licences.url(licence), licence)


def provenances() -> dict[int, Provenance]:
    """Every import source's provenance, by pk (a handful of rows)."""
    return {
        s.pk: provenance_of_source(s)
        for s in ImportSource.objects.only("pk", "name", "licence", "licence_url")
    }


def file_licence(provenance: Provenance, export: Licence) -> Licence | None:
    """Which files a listing goes in: None for the main files, a licence for that
    licence's own files, NONE for no file (no open licence to republish it under)."""
    if provenance.family not in licences.OPEN_FAMILIES:
        return Licence.NONE
    if licences.compatible(provenance.licence_id, export):
        return None
    return provenance.licence_id


def scope(licence: Licence | None = None) -> Q:
    """The listings of the main files (``licence`` None) or of one licence's own files."""
    export = export_licence()
    sources = [
        pk for pk, p in provenances().items() if file_licence(p, export) == (licence or None)
    ]
    if licence is None:
        return Q(import_source__isnull=True) | Q(import_source__in=sources)
    return Q(import_source__in=sources)


def listings_by_source() -> dict[int | None, int]:
    """Published listings per import source (None: registered on the platform)."""
    return dict(
        Actor.objects.published()
        .values_list("import_source")
        .annotate(n=Count("pk"))
        .values_list("import_source", "n")
        .order_by()
    )


@dataclass
class Split:
    """Where the published listings go: counts, and the sources of each file."""

    export: Licence
    main: int
    separate: dict  # Licence -> (count, [Provenance, …])
    withheld: int
    withheld_sources: list  # [(Provenance, count), …]
    main_sources: list  # [Provenance, …] of the partners' lists in the main files


def split() -> Split:
    export = export_licence()
    counts = listings_by_source()
    sources = provenances()
    result = Split(export, counts.get(None, 0), {}, 0, [], [])
    for pk, provenance in sorted(sources.items(), key=lambda item: item[1].source):
        n = counts.get(pk, 0)
        if not n:
            continue
        where = file_licence(provenance, export)
        if where is None:
            result.main += n
            result.main_sources.append(provenance)
        elif where == Licence.NONE:
            result.withheld += n
            result.withheld_sources.append((provenance, n))
        else:
            count, members = result.separate.get(where, (0, []))
            result.separate[where] = (count + n, [*members, provenance])
    return result


def queryset(licence: Licence | None = None):
    """Published actors of the main files (or of ``licence``'s own files) with everything
    a record needs, in a fixed number of queries."""
    published = ModerationStatus.PUBLISHED
    return (
        Actor.objects.published()
        .filter(scope(licence))
        .with_places()
        .with_public_coordinates()
        .defer("search_text", "location", "commune__townhall")
        .prefetch_related(
            "categories",
            "labels",
            "sale_modes",
            "opening_slots__season",
            Prefetch(
                "distribution_links",
                DistributionLink.objects.filter(place__status=published)
                .select_related("place")
                .only("actor_id", "weekday", "starts", "ends", "place__slug")
                .order_by("place__slug", "weekday", "pk"),
                to_attr="public_links",
            ),
        )
        .order_by("pk")
    )


def _hm(t) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def slot_text(slot) -> str:
    text = f"{slot.weekday} {_hm(slot.opens)}-{_hm(slot.closes)}"
    if slot.season:
        s = slot.season
        text += f" {s.start_month:02d}-{s.start_day:02d}/{s.end_month:02d}-{s.end_day:02d}"
    return text


def link_text(link) -> str:
    day = "" if link.weekday is None else str(link.weekday)
    hours = f" {_hm(link.starts)}-{_hm(link.ends)}" if link.starts and link.ends else ""
    return f"{link.place.slug}@{day}{hours}"


def record(actor, site_url: str, provenance: Provenance | None = None) -> dict:
    """One actor's columns (lists for the multi-valued ones)."""
    if provenance is None:
        provenance = (
            provenance_of_source(actor.import_source) if actor.import_source_id else platform()
        )
    commune = actor.commune
    slots = list(actor.opening_slots.all())
    return {
        "id": actor.pk,
        "slug": actor.slug,
        "name": actor.name,
        "kind": actor.kind,
        "kind_label": str(actor.get_kind_display()),
        "categories": [c.slug for c in actor.categories.all()],
        "labels": [c.slug for c in actor.labels.all()],
        "sale_modes": [c.slug for c in actor.sale_modes.all()],
        "products": actor.products,
        "description": actor.description,
        "address": "" if actor.location_is_approximate else actor.address,
        "postal_code": actor.postal_code,
        "commune": commune.name if commune else "",
        "insee": commune.code if commune else "",
        "departement": commune.departement.code if commune else "",
        "latitude": round(actor.lat, 6),
        "longitude": round(actor.lon, 6),
        "position_approximate": actor.location_is_approximate,
        "phone": actor.phone,
        "email": actor.email,
        "website": actor.website,
        "shop_url": actor.shop_url,
        "opening_hours": opening_hours(slots),
        "opening_slots": [slot_text(s) for s in slots],
        "sells_at": [link_text(link) for link in actor.public_links],
        "url": site_url + actor.get_absolute_url(),
        "updated_at": actor.updated_at.isoformat(timespec="seconds"),
        "source": provenance.source,
        "licence": provenance.licence,
        "licence_url": provenance.licence_url,
        "licence_id": provenance.licence_id.value,
        # Not columns: what the JSON-LD and OSM writers need besides.
        "_actor": actor,
        "_provenance": provenance,
    }


def records(site_url: str, chunk_size: int = 500, licence: Licence | None = None):
    """Every published actor's record of the main files (or of ``licence``'s own files),
    streamed in id order."""
    sources = provenances()
    mine = platform()
    for actor in queryset(licence).iterator(chunk_size=chunk_size):
        yield record(
            actor, site_url, sources[actor.import_source_id] if actor.import_source_id else mine
        )
