"""One actor in full: what its public page shows, as data."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as s

from ..models import ActorKind, DistributionLink, ModerationStatus, ScheduleException, Weekday
from ..models.market import MarketAuthorisation
from ..opendata import licences, records
from ..opendata.osm import opening_hours
from .base import point_feature
from .shapes import feature_shape


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["08:30"]})
class Hour(s.TimeField):
    """ "08:30": hours and minutes, as people and opening_hours write them."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def detail_queryset(queryset):
    """Everything the detail needs, in a fixed number of queries."""
    today = timezone.localdate()
    published = ModerationStatus.PUBLISHED
    return (
        queryset.with_places("authorisation")
        .select_related("import_source")
        .with_public_coordinates()
        .defer("search_text", "commune__townhall")
        .prefetch_related(
            "categories",
            "labels",
            "sale_modes",
            "opening_slots__season",
            Prefetch(
                "schedule_exceptions",
                ScheduleException.objects.filter(date__gte=today),
                to_attr="upcoming_exceptions",
            ),
            Prefetch(
                "distribution_links",
                DistributionLink.objects.filter(place__status=published)
                .select_related("place__commune")
                .defer("place__commune__outline", "place__search_text"),
                to_attr="public_links",
            ),
            Prefetch(
                "supplier_links",
                DistributionLink.objects.filter(actor__status=published)
                .select_related("actor__commune")
                .defer("actor__commune__outline", "actor__search_text"),
                to_attr="public_suppliers",
            ),
        )
    )


class Reference(s.Serializer):
    slug = s.SlugField()
    name = s.CharField()


class LabelReference(Reference):
    url = s.CharField(allow_blank=True)


class CommuneRef(s.Serializer):
    insee = s.CharField(source="code")
    name = s.CharField()
    departement = s.CharField(source="departement.code")
    departement_name = s.CharField(source="departement.name")


class Season(s.Serializer):
    name = s.CharField()
    start = s.SerializerMethodField(help_text="MM-JJ")
    end = s.SerializerMethodField(help_text="MM-JJ")

    def get_start(self, season) -> str:
        return f"{season.start_month:02d}-{season.start_day:02d}"

    def get_end(self, season) -> str:
        return f"{season.end_month:02d}-{season.end_day:02d}"


class Slot(s.Serializer):
    weekday = s.ChoiceField(choices=Weekday.choices, help_text="0 = lundi.")
    weekday_label = s.CharField(source="get_weekday_display")
    opens = Hour()
    closes = Hour()
    season = Season(allow_null=True, help_text="Vide : toute l'année.")


class Exception_(s.Serializer):
    date = s.DateField()
    closed = s.BooleanField()
    opens = Hour(allow_null=True)
    closes = Hour(allow_null=True)
    note = s.CharField(allow_blank=True)


class ActorRef(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    name = s.CharField()
    kind = s.ChoiceField(choices=ActorKind.choices)
    commune = s.CharField(source="commune.name", default="")
    url = s.SerializerMethodField()

    def get_url(self, actor) -> str:
        return self.context["request"].build_absolute_uri(actor.get_absolute_url())


class Link(s.Serializer):
    weekday = s.ChoiceField(
        choices=Weekday.choices, allow_null=True, help_text="Vide : sur commande."
    )
    weekday_label = s.SerializerMethodField()
    starts = Hour(allow_null=True)
    ends = Hour(allow_null=True)
    note = s.CharField(allow_blank=True)

    def get_weekday_label(self, link) -> str:
        return str(Weekday(link.weekday).label) if link.weekday is not None else ""


class SellsAt(Link):
    place = ActorRef()


class Supplier(Link):
    actor = ActorRef()


class Authorisation(s.Serializer):
    status = s.ChoiceField(choices=MarketAuthorisation.Status.choices)
    label = s.CharField(source="get_status_display")
    since = s.DateField(allow_null=True)
    note = s.CharField(allow_blank=True)


class Position(s.Serializer):
    lat = s.FloatField()
    lon = s.FloatField()
    approximate = s.BooleanField(
        help_text="Producteur à domicile : la mairie de sa commune, jamais sa maison."
    )


class Provenance(s.Serializer):
    source = s.CharField(help_text="La liste d'un partenaire, ou la plateforme elle-même.")
    licence = s.CharField(help_text="La licence, telle que la source l'indique.")
    licence_url = s.CharField(allow_blank=True)
    licence_id = s.CharField(help_text="Identifiant SPDX (ou « unknown », « none »).")
    open_data = s.BooleanField(
        help_text="Si la fiche peut être réutilisée en données ouvertes (licence ouverte "
        "reconnue) ; sinon, elle n'est que consultable."
    )


class ActorDetailSerializer(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    name = s.CharField()
    kind = s.ChoiceField(choices=ActorKind.choices)
    kind_label = s.CharField(source="get_kind_display")
    description = s.CharField(allow_blank=True)
    products = s.CharField(allow_blank=True)
    address = s.SerializerMethodField(help_text="Vide pour un producteur à domicile.")
    postal_code = s.CharField(allow_blank=True)
    commune = CommuneRef(allow_null=True)
    position = s.SerializerMethodField()
    phone = s.CharField(allow_blank=True)
    email = s.CharField(allow_blank=True, help_text="E-mail public.")
    website = s.CharField(allow_blank=True)
    shop_url = s.CharField(allow_blank=True)
    categories = Reference(many=True)
    labels = LabelReference(many=True)
    sale_modes = Reference(many=True)
    opening_slots = Slot(many=True)
    opening_hours = s.SerializerMethodField(help_text="Syntaxe OpenStreetMap opening_hours.")
    hours_text = s.CharField(
        allow_blank=True,
        help_text="Horaires tels que la source les a écrits, quand ils n'ont pas pu être lus.",
    )
    closed_on_public_holidays = s.BooleanField()
    upcoming_exceptions = Exception_(many=True)
    closed_until = s.DateField(allow_null=True)
    closed_note = s.CharField(allow_blank=True)
    sells_at = SellsAt(many=True, source="public_links")
    suppliers = Supplier(
        many=True, source="public_suppliers", help_text="Pour un lieu de vente : qui y vend."
    )
    authorisation = s.SerializerMethodField()
    provenance = s.SerializerMethodField(
        help_text="D'où vient la fiche et sous quelle licence : une fiche importée garde "
        "celle de sa source (ODbL…), jamais celle de l'API."
    )
    url = s.SerializerMethodField()
    updated_at = s.DateTimeField()

    @extend_schema_field(Provenance)
    def get_provenance(self, actor) -> dict:
        source = actor.import_source
        found = records.provenance_of_source(source) if source else records.platform()
        return {
            "source": found.source,
            "licence": found.licence,
            "licence_url": found.licence_url,
            "licence_id": str(found.licence_id),
            "open_data": found.family in licences.OPEN_FAMILIES,
        }

    def get_address(self, actor) -> str:
        return "" if actor.location_is_approximate else actor.address

    @extend_schema_field(Position)
    def get_position(self, actor) -> dict:
        return {
            "lat": round(actor.lat, 6),
            "lon": round(actor.lon, 6),
            "approximate": actor.location_is_approximate,
        }

    def get_opening_hours(self, actor) -> str:
        return opening_hours(actor.opening_slots.all())

    @extend_schema_field(Authorisation(allow_null=True))
    def get_authorisation(self, actor) -> dict | None:
        auth = getattr(actor, "authorisation", None) if actor.kind == ActorKind.MARKET else None
        return Authorisation(auth).data if auth else None

    def get_url(self, actor) -> str:
        return self.context["request"].build_absolute_uri(actor.get_absolute_url())

    @staticmethod
    def as_feature(data: dict) -> dict:
        position = data["position"]
        return point_feature(data["id"], position["lon"], position["lat"], data)


ActorDetailFeature = feature_shape("ActorDetailFeature", ActorDetailSerializer())
