"""Published articles as JSON, for partners' sites (served by directory.api.articles)."""

from .images import srcset
from .markdown import render


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
