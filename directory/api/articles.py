"""GET /api/v1/articles/: the "Fenêtre sur…" portraits, newest first."""

from django.core.paginator import Paginator
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ..editorial.api import article_json
from ..editorial.views import ArticleFilter, cards
from ..models.editorial import Article
from . import shapes
from .base import ApiView, page_links, validated
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
        paginator = Paginator(cards(form.filter(Article.objects.published())), PAGE_SIZE)
        number = form.cleaned_data.get("page") or 1
        if number > paginator.num_pages:
            raise ValidationError({"page": [f"Page hors limites (1 à {paginator.num_pages})."]})
        page = paginator.page(number)
        following, previous = page_links(request, number, paginator.num_pages)
        return Response(
            {
                "count": paginator.count,
                "page": page.number,
                "pages": paginator.num_pages,
                "next": following,
                "previous": previous,
                "results": [article_json(a, request) for a in page.object_list],
            }
        )
