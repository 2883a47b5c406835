"""GET /api/v1/articles/: published articles as JSON, for partners' sites."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ..api import bad_request
from ..models.editorial import Article
from .images import srcset
from .markdown import render
from .views import ArticleFilter, cards

API_PAGE_SIZE = 20


def article_json(article, request) -> dict:
    absolute = request.build_absolute_uri
    cover = None
    if article.cover:
        cover = {
            "url": absolute(article.cover.url),
            "alt": article.cover_alt,
            "width": article.cover_width,
            "height": article.cover_height,
            "srcset": srcset(article.cover, article.cover_sizes, article.cover_width, absolute),
        }
    return {
        "id": article.pk,
        "slug": article.slug,
        "title": article.title,
        "kind": article.kind,
        "kind_label": article.get_kind_display(),
        "lead": article.lead,
        "body_html": str(render(article.body)),
        "url": absolute(article.get_absolute_url()),
        "published_at": article.publish_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "cover": cover,
        "credits": article.credits,
        "partner": {"name": article.partner.name, "website": article.partner.website}
        if article.partner
        else None,
        "actors": [
            {
                "id": a.pk,
                "slug": a.slug,
                "name": a.name,
                "kind": a.kind,
                "url": absolute(a.get_absolute_url()),
            }
            for a in article.public_actors
        ],
    }


@require_GET
@cache_control(public=True, max_age=300)
def articles(request):
    """kind, departement, page; newest first, ordered by a unique key (stable pages)."""
    form = ArticleFilter(request.GET)
    if not form.is_valid():
        return bad_request(form.errors)
    paginator = Paginator(cards(form.filter(Article.objects.published())), API_PAGE_SIZE)
    number = form.cleaned_data.get("page") or 1
    if number > paginator.num_pages:
        return bad_request({"page": [f"Page hors limites (1 à {paginator.num_pages})."]})
    page = paginator.page(number)
    return JsonResponse(
        {
            "results": [article_json(a, request) for a in page.object_list],
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
        },
        json_dumps_params={"ensure_ascii": False},
    )
