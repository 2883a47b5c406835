"""Atom and RSS feeds of published articles, with full content and images (Django syndication)."""

import copy

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from ..models.editorial import Article
from .markdown import render

FEED_SIZE = 20


class FullContentRss(Rss201rev2Feed):
    """RSS 2.0 with the whole article in content:encoded."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content"])


class FullContentAtom(Atom1Feed):
    """Atom with the whole article in <content type="html">."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class ArticlesRss(Feed):
    feed_type = FullContentRss
    title = _("Fenêtre sur… — Tout Près")
    description = _(
        "Portraits de producteurs, produits de saison et lieux de vente près de chez vous."
    )

    def link(self):
        return "/fenetre-sur/"

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request (it lives in the URLconf): each request
        # gets its own copy to hold the request, for absolute image URLs.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def items(self):
        return (
            Article.objects.published()
            .select_related("partner")
            .prefetch_related("images")[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.lead

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return self.request.build_absolute_uri(item.get_absolute_url())

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_kind_display()]

    def item_author_name(self, item):
        return item.partner.name if item.partner else item.credits or None

    def item_enclosures(self, item):
        if not item.cover:
            return []
        try:
            length = item.cover.size
        except OSError:  # a file lost from the media storage must not break the feed
            return []
        return [
            Enclosure(self.request.build_absolute_uri(item.cover.url), str(length), "image/jpeg")
        ]

    def item_extra_kwargs(self, item):
        absolute = self.request.build_absolute_uri
        parts = []
        if item.cover:
            parts.append(
                f'<p><img src="{escape(absolute(item.cover.url))}" alt="{escape(item.cover_alt)}"></p>'
            )
        parts.append(f"<p><strong>{escape(item.lead)}</strong></p>")
        parts.append(str(render(item.body)))
        for image in item.images.all():
            parts.append(
                f'<p><img src="{escape(absolute(image.image.url))}" alt="{escape(image.alt_text)}"></p>'
            )
        if item.credits:
            parts.append(f"<p><small>{escape(item.credits)}</small></p>")
        return {"content": "\n".join(parts)}


class ArticlesAtom(ArticlesRss):
    feed_type = FullContentAtom
    subtitle = ArticlesRss.description
