"""Reference lists: kinds of actors, product categories, labels and ways to buy."""

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as s
from rest_framework.response import Response

from ..models import ActorKind, Category, Label, ModerationStatus, SaleMode
from . import shapes
from .base import ApiView

PUBLISHED = Q(actors__status=ModerationStatus.PUBLISHED)


class Kind(s.Serializer):
    value = s.ChoiceField(choices=ActorKind.choices)
    label = s.CharField()


class Term(s.Serializer):
    slug = s.SlugField()
    name = s.CharField()
    actors = s.IntegerField(
        source="actor_count", min_value=0, help_text="Nombre d'acteurs publiés."
    )


class LabelTerm(Term):
    url = s.CharField(allow_blank=True, help_text="Site officiel du label.")


def results(serializer, name: str):
    """The schema of {"results": [serializer…]}, as component ``name``."""
    return type(name, (s.Serializer,), {"results": serializer(many=True)})


class KindList(ApiView):
    max_age = 3600

    @extend_schema(
        operation_id="kinds",
        summary="Types d'acteurs",
        responses={200: results(Kind, "KindList"), **shapes.errors(shapes.JSON)},
        tags=["listes de référence"],
    )
    def get(self, request):
        return Response({"results": [{"value": k.value, "label": str(k.label)} for k in ActorKind]})


def term_view(model, serializer, name: str, summary: str):
    """A list endpoint for a reference table, ordered as on the site, with usage counts."""

    class TermList(ApiView):
        max_age = 3600

        @extend_schema(
            operation_id=name,
            summary=summary,
            responses={
                200: results(serializer, f"{model.__name__}List"),
                **shapes.errors(shapes.JSON),
            },
            tags=["listes de référence"],
        )
        def get(self, request):
            rows = model.objects.annotate(actor_count=Count("actors", filter=PUBLISHED)).order_by(
                "position", "name", "pk"
            )
            return Response({"results": serializer(rows, many=True).data})

    TermList.__name__ = TermList.__qualname__ = f"{model.__name__}List"
    return TermList


CategoryList = term_view(Category, Term, "categories", "Catégories de produits")
LabelList = term_view(Label, LabelTerm, "labels", "Labels de qualité et d'origine")
SaleModeList = term_view(SaleMode, Term, "modes", "Modes de vente")
