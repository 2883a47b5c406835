"""The shapes of responses built as plain dicts (the search's hot path, articles, errors),
written down for the OpenAPI schema. Schemathesis checks every response against them."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers as s

from ..models import ActorKind, Weekday

JSON, GEOJSON = "application/json", "application/geo+json"


class Errors(s.Serializer):
    errors = s.DictField(
        child=s.ListField(child=s.CharField()),
        help_text="Chaque paramètre fautif et ses messages.",
    )


class Detail(s.Serializer):
    detail = s.CharField()


class Throttled(Detail):
    retry_after = s.IntegerField(allow_null=True, help_text="Secondes avant de réessayer.")


def errors(*media_types: str, not_found: bool = False) -> dict:
    """The error responses of an endpoint, for each of its media types."""
    out = {}
    for media_type in media_types:
        out[(400, media_type)] = OpenApiResponse(Errors, description="Paramètre invalide.")
        out[(429, media_type)] = OpenApiResponse(Throttled, description="Trop de requêtes.")
        if not_found:
            out[(404, media_type)] = OpenApiResponse(Detail, description="Introuvable.")
    return out


class Point(s.Serializer):
    type = s.ChoiceField(choices=["Point"])
    coordinates = s.ListField(
        child=s.FloatField(), min_length=2, max_length=2, help_text="[longitude, latitude] WGS 84."
    )


class ReachedThrough(s.Serializer):
    place = s.CharField(help_text="Le marché ou point de retrait dans le rayon.")
    slug = s.SlugField()
    url = s.URLField()
    kind = s.ChoiceField(choices=ActorKind.choices)
    weekday = s.ChoiceField(choices=Weekday.choices, allow_null=True, help_text="0 = lundi.")
    starts = s.CharField(allow_null=True, help_text="HH:MM")
    ends = s.CharField(allow_null=True, help_text="HH:MM")
    label = s.CharField(help_text="« à 3,2 km via Marché de Blois, le samedi 8h–12h30 »")


class ActorSummary(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    name = s.CharField()
    kind = s.ChoiceField(choices=ActorKind.choices)
    kind_label = s.CharField()
    categories = s.ListField(child=s.SlugField())
    commune = s.CharField()
    departement = s.CharField()
    phone = s.CharField()
    distance_km = s.FloatField(
        allow_null=True,
        help_text="Distance géodésique au point public ; en km entiers (au moins 1) quand "
        "distance_is_approximate.",
    )
    distance_is_approximate = s.BooleanField(
        help_text="Producteur à domicile (ou lieu de vente à domicile) : distance au point de "
        "sa commune, arrondie au km, jamais à sa maison."
    )
    distance = s.CharField(help_text="Pour l'affichage : « 800 m », « 3,2 km », « environ 12 km ».")
    reached_through = ReachedThrough(
        allow_null=True,
        help_text="Producteur éloigné joignable par un lieu de vente dans le rayon.",
    )
    url = s.URLField()


class ActorSummaryJSON(ActorSummary):
    lat = s.FloatField()
    lon = s.FloatField()


class Paging(s.Serializer):
    count = s.IntegerField(min_value=0)
    page = s.IntegerField(min_value=1)
    pages = s.IntegerField(min_value=1)
    next = s.URLField(allow_null=True)
    previous = s.URLField(allow_null=True)


def feature_shape(name: str, properties: s.Serializer):
    """The schema of a point Feature whose properties are ``properties``."""
    fields = {
        "type": s.ChoiceField(choices=["Feature"]),
        "id": s.IntegerField(),
        "geometry": Point(),
        "properties": properties,
    }
    return type(name, (s.Serializer,), fields)


def collection_shape(name: str, feature) -> type:
    """The schema of a paged FeatureCollection of ``feature``."""
    fields = {"type": s.ChoiceField(choices=["FeatureCollection"]), "features": feature(many=True)}
    return type(name, (Paging,), fields)


ActorFeature = feature_shape("ActorFeature", ActorSummary())
ActorCollection = collection_shape("ActorCollection", ActorFeature)


class ActorPage(Paging):
    results = ActorSummaryJSON(many=True)


class Cover(s.Serializer):
    url = s.URLField()
    alt = s.CharField(allow_blank=True)
    width = s.IntegerField(allow_null=True)
    height = s.IntegerField(allow_null=True)
    srcset = s.CharField(allow_blank=True)


class ArticlePartner(s.Serializer):
    name = s.CharField()
    website = s.CharField(allow_blank=True)


class ArticleActor(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    name = s.CharField()
    kind = s.ChoiceField(choices=ActorKind.choices)
    url = s.URLField()


class Article(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    title = s.CharField()
    kind = s.CharField()
    kind_label = s.CharField()
    lead = s.CharField(allow_blank=True)
    body_html = s.CharField(help_text="HTML nettoyé (liste blanche de balises).")
    url = s.URLField()
    published_at = s.DateTimeField()
    updated_at = s.DateTimeField()
    cover = Cover(allow_null=True)
    credits = s.CharField(allow_blank=True)
    partner = ArticlePartner(allow_null=True)
    actors = ArticleActor(many=True)


class ArticlePage(Paging):
    results = Article(many=True)
