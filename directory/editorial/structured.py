"""schema.org Article JSON-LD for article pages."""

from .markdown import plain_text


def article_jsonld(article, url: str, cover_url: str, request) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title[:110],
        "description": article.lead,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": "fr-FR",
        "articleSection": article.get_kind_display(),
        "articleBody": plain_text(article.body),
        "publisher": {"@type": "Organization", "name": "Tout Près"},
        "about": [
            {
                "@type": "LocalBusiness",
                "name": a.name,
                "url": request.build_absolute_uri(a.get_absolute_url()),
            }
            for a in getattr(article, "public_actors", [])
        ],
    }
    if article.publish_at:
        data["datePublished"] = article.publish_at.isoformat()
    data["dateModified"] = article.updated_at.isoformat()
    if cover_url:
        data["image"] = {
            "@type": "ImageObject",
            "url": cover_url,
            "width": article.cover_width,
            "height": article.cover_height,
            "caption": article.cover_alt,
        }
    if article.partner:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.partner.name}
    if article.credits:
        data["creditText"] = article.credits
    return data
