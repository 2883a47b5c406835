"""GET /api/v1/articles/: the "Fenêtre sur…" portraits, newest first."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ..editorial.api import article_json
from ..editorial.views import ArticleFilter, cards
from ..models.editorial import Article
from . import shapes
from .base import ApiView, paging, validated
from .schema import form_parameters

PAGE_SIZE = 20


class ArticleList(ApiView):
    max_age = 300

    @extend_schema(
        operation_id="articles",
        summary="Articles « Fenêtre sur… »",
        description="Portraits de producteurs et de produits publiés, du plus récent au plus "
        "ancien (ordre par date puis identifiant : pages stables), 20 par page.",
        parameters=form_parameters(
            ArticleFilter,
            descriptions={
                "kind": "Rubrique.",
                "departement": "Articles liés à un acteur de ce département (code INSEE).",
            },
        ),
        responses={200: shapes.ArticlePage, **shapes.errors(shapes.JSON)},
        tags=["articles"],
    )
    def get(self, request):
        form = validated(ArticleFilter, request)
        queryset = cards(form.filter(Article.objects.published()))
        number = form.cleaned_data.get("page") or 1
        paged = paging(request, number, queryset.count(), PAGE_SIZE)
        start = (number - 1) * PAGE_SIZE
        articles = queryset[start : start + PAGE_SIZE]
        return Response({**paged, "results": [article_json(a, request) for a in articles]})
