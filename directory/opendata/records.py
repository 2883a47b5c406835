"""The published directory as flat records: one dict per actor, the columns of every export.

Built from what the public site shows: public contacts only, and for producers who sell
from home the centre of their commune, never their address or their house.
"""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from ..models import Actor, DistributionLink, ModerationStatus
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
]
FIELDS = [c.name for c in COLUMNS]
MULTI = {"categories", "labels", "sale_modes", "opening_slots", "sells_at"}


def queryset():
    """Published actors with everything a record needs, in a fixed number of queries."""
    published = ModerationStatus.PUBLISHED
    return (
        Actor.objects.published()
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


def record(actor, site_url: str) -> dict:
    """One actor's columns (lists for the multi-valued ones)."""
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
        # Not columns: what the JSON-LD and OSM writers need besides.
        "_actor": actor,
    }


def records(site_url: str, chunk_size: int = 500):
    """Every published actor's record, streamed in id order."""
    for actor in queryset().iterator(chunk_size=chunk_size):
        yield record(actor, site_url)
