"""sitemap.xml: the main pages, published articles and published listings."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Actor, Article


class PagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["directory:home", "directory:markets", "directory:articles", "directory:register"]

    def location(self, item):
        return reverse(item)


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Article.objects.published().only("slug", "updated_at", "publish_at")

    def lastmod(self, item):
        return item.updated_at


class ActorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 10_000  # sitemap index pages: 100,000 listings stay light per file

    def items(self):
        return Actor.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"pages": PagesSitemap, "fenetre-sur": ArticleSitemap, "acteurs": ActorSitemap}
