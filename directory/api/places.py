"""Markets and pick-up points with their days; territories; the gazetteer."""

from django import forms
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers as s
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from geodata import gazetteer, outlines
from geodata.models import Commune, Departement, Region

from ..models import Actor, ActorKind, ModerationStatus
from ..opendata.osm import opening_hours
from ..schedule import WEEKDAYS, paris_now, places_open_on
from ..search import SlugChoiceField
from ..serializers import commune_json
from . import shapes
from .base import ApiView, MapApiView, collection, paging, point_feature, validated
from .detail import Authorisation, Slot
from .schema import FORMAT, form_parameters

PAGE_SIZE = 100
PLACE_KINDS = [ActorKind.MARKET, ActorKind.PICKUP]


class MarketFilter(forms.Form):
    kind = forms.MultipleChoiceField(
        label="market (marché de plein air), pickup (point de retrait) ; les deux par défaut.",
        choices=[(k.value, k.label) for k in PLACE_KINDS],
        required=False,
    )
    day = forms.ChoiceField(
        label="Ouverts ce jour de la semaine (monday…sunday).",
        choices=[(day, day) for day in WEEKDAYS],
        required=False,
    )
    departement = SlugChoiceField(Departement, key="code", label="Codes INSEE de départements.")
    commune = SlugChoiceField(Commune, key="code", label="Codes INSEE de communes.")
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, label="Page")

    def queryset(self):
        data = self.cleaned_data
        qs = Actor.objects.published().filter(kind__in=data.get("kind") or PLACE_KINDS)
        if data.get("day"):
            # The search's rule (seasons, exceptions, closures; pick-up points by their
            # links' days), not any slot on that weekday.
            qs, _date = places_open_on(qs, WEEKDAYS.index(data["day"]), paris_now().date())
        if data.get("departement") or data.get("commune"):
            qs = qs.filter(
                Q(commune__departement__code__in=data.get("departement") or [])
                | Q(commune__code__in=data.get("commune") or [])
            )
        return (
            qs.with_places("authorisation")
            .with_public_coordinates()
            .defer("search_text", "location", "commune__townhall")
            .annotate(
                producer_count=Count(
                    "supplier_links__actor",
                    filter=Q(supplier_links__actor__status=ModerationStatus.PUBLISHED),
                    distinct=True,
                )
            )
            .prefetch_related("opening_slots__season")
            # A unique key last: pages stay stable while listings are edited.
            .order_by("name", "pk")
        )


class Place(s.Serializer):
    id = s.IntegerField()
    slug = s.SlugField()
    name = s.CharField()
    kind = s.ChoiceField(choices=[(k.value, k.label) for k in PLACE_KINDS])
    kind_label = s.CharField(source="get_kind_display")
    address = s.CharField(allow_blank=True)
    commune = s.CharField(source="commune.name", default="")
    insee = s.CharField(source="commune.code", default="")
    departement = s.CharField(source="commune.departement.code", default="")
    days = Slot(many=True, source="opening_slots.all", help_text="Jours et heures d'ouverture.")
    opening_hours = s.SerializerMethodField(help_text="Syntaxe OpenStreetMap opening_hours.")
    producers = s.IntegerField(source="producer_count", help_text="Producteurs qui y vendent.")
    authorisation = s.SerializerMethodField()
    lat = s.SerializerMethodField()
    lon = s.SerializerMethodField()
    url = s.SerializerMethodField()

    def get_opening_hours(self, place) -> str:
        return opening_hours(place.opening_slots.all())

    @extend_schema_field(Authorisation(allow_null=True))
    def get_authorisation(self, place) -> dict | None:
        auth = getattr(place, "authorisation", None) if place.kind == ActorKind.MARKET else None
        return Authorisation(auth).data if auth else None

    def get_lat(self, place) -> float:
        return round(place.lat, 6)

    def get_lon(self, place) -> float:
        return round(place.lon, 6)

    def get_url(self, place) -> str:
        return self.context["request"].build_absolute_uri(place.get_absolute_url())


class PlacePage(shapes.Paging):
    results = Place(many=True)


PlaceCollection = shapes.collection_shape(
    "PlaceCollection", shapes.feature_shape("PlaceFeature", Place())
)


class MarketList(MapApiView):
    max_age = 300

    @extend_schema(
        operation_id="markets",
        summary="Marchés et points de retrait",
        description="Les marchés de plein air et points de retrait publiés, avec leurs jours "
        "et heures, par ordre alphabétique (100 par page).",
        parameters=[*form_parameters(MarketFilter), FORMAT],
        responses={
            (200, shapes.GEOJSON): PlaceCollection,
            (200, shapes.JSON): PlacePage,
            **shapes.errors(shapes.GEOJSON, shapes.JSON),
        },
        tags=["lieux de vente"],
    )
    def get(self, request):
        form = validated(MarketFilter, request)
        queryset = form.queryset()
        number = form.cleaned_data.get("page") or 1
        paged = paging(request, number, queryset.count(), PAGE_SIZE)
        start = (number - 1) * PAGE_SIZE
        rows = Place(
            queryset[start : start + PAGE_SIZE], many=True, context={"request": request}
        ).data
        if self.wants_geojson():
            features = [point_feature(r["id"], r["lon"], r["lat"], r) for r in rows]
            return Response(collection(features, paged))
        return Response({**paged, "results": rows})


class GazetteerEntry(s.Serializer):
    name = s.CharField()
    insee = s.CharField()
    postal_codes = s.ListField(child=s.CharField())
    departement = s.CharField()
    departement_name = s.CharField()
    label = s.CharField()
    lat = s.FloatField(allow_null=True)
    lon = s.FloatField(allow_null=True)


class GazetteerFilter(forms.Form):
    q = forms.CharField(max_length=100, label="Début du nom de la commune ou code postal.")
    limit = forms.IntegerField(
        required=False, min_value=1, max_value=gazetteer.MAX_RESULTS, label="Nombre de réponses"
    )


class Gazetteer(ApiView):
    max_age = 86400

    @extend_schema(
        operation_id="places",
        summary="Rechercher une commune",
        description="Le répertoire géographique : communes par début de nom (sans accents "
        "ni tirets) ou par code postal, les plus peuplées d'abord.",
        parameters=form_parameters(GazetteerFilter),
        responses={
            200: type("GazetteerList", (s.Serializer,), {"results": GazetteerEntry(many=True)}),
            **shapes.errors(shapes.JSON),
        },
        tags=["territoires"],
    )
    def get(self, request):
        form = validated(GazetteerFilter, request)
        query = form.cleaned_data["q"].strip()
        if not query:
            raise ValidationError({"q": ["Un nom de commune ou un code postal."]})
        limit = form.cleaned_data.get("limit") or 10
        return Response({"results": [commune_json(c) for c in gazetteer.search(query, limit)]})


class RegionEntry(s.Serializer):
    code = s.CharField()
    name = s.CharField()
    departements = s.ListField(child=s.CharField())


class RegionList(ApiView):
    max_age = 86400

    @extend_schema(
        operation_id="regions",
        summary="Régions",
        responses={
            200: type("RegionList", (s.Serializer,), {"results": RegionEntry(many=True)}),
            **shapes.errors(shapes.JSON),
        },
        tags=["territoires"],
    )
    def get(self, request):
        regions = []
        for region in Region.objects.defer("outline").order_by("code"):
            codes = Departement.objects.filter(region=region).order_by("code")
            regions.append(
                {
                    "code": region.code,
                    "name": region.name,
                    "departements": list(codes.values_list("code", flat=True)),
                }
            )
        return Response({"results": regions})


class DepartementEntry(s.Serializer):
    code = s.CharField()
    name = s.CharField()
    region = s.CharField(allow_blank=True)


class DepartementProperties(s.Serializer):
    code = s.CharField()
    name = s.CharField()


class DepartementFeature(s.Serializer):
    type = s.ChoiceField(choices=["Feature"])
    geometry = s.JSONField(help_text="MultiPolygon simplifié (~500 m), 5 décimales.")
    properties = DepartementProperties()


class DepartementCollection(s.Serializer):
    type = s.ChoiceField(choices=["FeatureCollection"])
    features = DepartementFeature(many=True)


class DepartementList(MapApiView):
    max_age = 86400

    @extend_schema(
        operation_id="departements",
        summary="Départements",
        description="Les départements importés : contours simplifiés en GeoJSON (pour "
        "s'orienter sur une carte), ou la liste en JSON.",
        parameters=[FORMAT],
        responses={
            (200, shapes.GEOJSON): DepartementCollection,
            (200, shapes.JSON): type(
                "DepartementList", (s.Serializer,), {"results": DepartementEntry(many=True)}
            ),
            **shapes.errors(shapes.GEOJSON, shapes.JSON),
        },
        tags=["territoires"],
    )
    def get(self, request):
        departements = Departement.objects.select_related("region").order_by("code")
        if not self.wants_geojson():
            return Response(
                {
                    "results": [
                        {
                            "code": d.code,
                            "name": d.name,
                            "region": d.region.code if d.region else "",
                        }
                        for d in departements.defer("outline", "region__outline")
                    ]
                }
            )
        # Simplified (~500 m), rounded (5 decimals) and made RFC 7946 once, at import
        # (geodata.outlines): nothing is computed per request.
        return Response(outlines.document()["data"])


OUTLINES_MAX_AGE = 365 * 86400


def departement_outlines(request, version):
    """The map's département outlines at a versioned URL (/carte/departements/<version>.geojson):
    the version is the document's content hash, so browsers and CDNs keep it for a year.
    An old version is sent to the current one."""
    document = outlines.document()
    if version != document["version"]:
        response = HttpResponseRedirect(outlines_url())
        response["Cache-Control"] = "public, max-age=300"
        return response
    etag = f'"{document["version"]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(document["body"], content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={OUTLINES_MAX_AGE}, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def outlines_url() -> str:
    return reverse("directory:site-departements-outlines", args=[outlines.version()])
