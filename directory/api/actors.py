"""GET /api/v1/actors/ (the search of #3, same filters and ranking) and /api/v1/actors/<slug>/."""

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..models import Actor
from ..search import Search, SearchForm, feature_page
from . import shapes
from .base import MapApiView, collection, invalid, paging, validated
from .detail import ActorDetailFeature, ActorDetailSerializer, detail_queryset
from .schema import FORMAT, form_parameters

PAGE_SIZE = 100
# What Actor.slug can hold (an ASCII SlugField of at most 170 characters).
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,170}\Z")
SEARCH_DESCRIPTIONS = {
    "where": "Commune, code postal ou adresse ; géocodé comme sur le site.",
    "near": "Autour du point « lat,lon » (WGS 84) ; prioritaire sur where.",
    "radius": "Rayon en km autour du point, sans coupure aux frontières administratives.",
    "q": "Texte libre : nom, produits, présentation (sans accents ni casse).",
    "kind": "Types d'acteurs (voir /api/v1/kinds/).",
    "category": "Catégories de produits, par slug (voir /api/v1/categories/).",
    "label": "Labels, par slug (voir /api/v1/labels/).",
    "mode": "Modes de vente, par slug (voir /api/v1/modes/).",
    "open": "now (ouvert maintenant) ou un jour (monday…sunday) : ouvert ce jour-là.",
    "bbox": "Emprise « ouest,sud,est,nord ».",
    "departement": "Territoire : codes INSEE de départements.",
    "commune": "Territoire : codes INSEE de communes.",
    "region": "Territoire : codes INSEE de régions.",
    "page": "Page (100 résultats par page).",
}


def flat(feature: dict) -> dict:
    """A Feature as a plain JSON object: properties plus lat and lon."""
    lon, lat = feature["geometry"]["coordinates"]
    return {**feature["properties"], "lat": lat, "lon": lon}


class ActorList(MapApiView):
    max_age = 60

    @extend_schema(
        operation_id="actors_search",
        summary="Rechercher des acteurs",
        description=(
            "Les acteurs publiés, du plus proche au plus lointain autour d'un point (les "
            "producteurs éloignés joignables par un marché ou point de retrait du rayon "
            "comptent à la distance de ce lieu), sinon par ordre alphabétique. Un territoire "
            "(departement, commune, region) garde les acteurs qui y sont et les producteurs "
            "qui vendent sur un de ses marchés ou points de retrait."
        ),
        parameters=[*form_parameters(SearchForm, descriptions=SEARCH_DESCRIPTIONS), FORMAT],
        responses={
            (200, shapes.GEOJSON): shapes.ActorCollection,
            (200, shapes.JSON): shapes.ActorPage,
            **shapes.errors(shapes.GEOJSON, shapes.JSON),
        },
        tags=["acteurs"],
    )
    def get(self, request):
        form = validated(SearchForm, request)
        search = Search.from_form(form)
        if form.errors:  # an unknown place
            raise invalid(form)
        number = form.cleaned_data.get("page") or 1
        features, count = feature_page(search, number, PAGE_SIZE, request)
        paged = paging(request, number, count, PAGE_SIZE)
        if self.wants_geojson():
            return Response(collection(features, paged))
        return Response({**paged, "results": [flat(f) for f in features]})


class ActorDetail(MapApiView):
    max_age = 300

    @extend_schema(
        operation_id="actor_detail",
        summary="Un acteur",
        description="Une fiche publiée, avec ses horaires, ses lieux de vente et leurs jours.",
        parameters=[
            OpenApiParameter(
                "slug", str, OpenApiParameter.PATH, description="Adresse de la fiche."
            ),
            FORMAT,
        ],
        responses={
            (200, shapes.GEOJSON): ActorDetailFeature,
            (200, shapes.JSON): ActorDetailSerializer,
            **shapes.errors(shapes.GEOJSON, shapes.JSON, not_found=True),
        },
        tags=["acteurs"],
    )
    def get(self, request, slug):
        # Only a slug can name a listing: anything else (a NUL byte, which PostgreSQL refuses
        # in a query with a 500) is the same JSON 404 as an unknown one.
        actor = None
        if SLUG.match(slug):
            actor = detail_queryset(Actor.objects.published()).filter(slug=slug).first()
        if actor is None:
            raise NotFound(_("Aucune fiche publiée à cette adresse."))
        data = ActorDetailSerializer(actor, context={"request": request}).data
        if self.wants_geojson():
            return Response(ActorDetailSerializer.as_feature(data))
        return Response(data)
