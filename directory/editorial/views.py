"""Public side of "Fenêtre sur…": the list, article pages (and private previews), and the
editor's live Markdown preview."""

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from geodata.models import Departement

from ..csp import article_sources
from ..markers import map_styles
from ..models import Actor
from ..models.editorial import Article, ArticleKind
from .images import srcset
from .markdown import render as render_markdown
from .sharing import share_links, social_texts
from .structured import article_jsonld

PAGE_SIZE = 12
MAX_PREVIEW_CHARS = 100_000


def linked_actors():
    """Linked listings as cards and pins need them: published only, with their commune."""
    return Prefetch(
        "actors",
        queryset=Actor.objects.published()
        .with_places()
        .with_public_coordinates()
        .defer("search_text", "location", "commune__townhall")
        .order_by("name"),
        to_attr="public_actors",
    )


def cards(queryset):
    """Articles with what a card shows, in a constant number of queries."""
    return queryset.select_related("partner").prefetch_related(linked_actors())


class ArticleFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("Rubrique"), choices=[("", _("Toutes"))] + ArticleKind.choices, required=False
    )
    departement = forms.ChoiceField(label=_("Département"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departement"].choices = [("", _("Tous"))] + [
            (d.code, f"{d.name} ({d.code})")
            for d in Departement.objects.filter(code__in=settings.TOUTPRES_REGION["DEPARTEMENTS"])
            .only("code", "name")
            .order_by("code")
        ]

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("departement"):
            # A subquery, not a join: an article linked to three farms of the same
            # département is listed once.
            queryset = queryset.filter(
                pk__in=Article.objects.filter(
                    actors__commune__departement__code=data["departement"],
                    actors__status="published",
                ).values("pk")
            )
        return queryset


@require_GET
def article_list(request):
    form = ArticleFilter(request.GET or None)
    articles = Article.objects.published()
    status = 200
    if form.is_bound and form.is_valid():
        articles = form.filter(articles)
    elif form.is_bound:
        status = 400
        articles = articles.none()
    paginator = Paginator(cards(articles), PAGE_SIZE)
    page = paginator.get_page(
        (form.cleaned_data.get("page") if form.is_bound and form.is_valid() else None) or 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "editorial/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )


def _article_for(request, slug):
    """The article if the public may read it, or if the request may preview it."""
    article = get_object_or_404(cards(Article.objects.all()).prefetch_related("images"), slug=slug)
    if article.is_public:
        return article, False
    key = request.GET.get("apercu", "")
    try:
        if key and uuid.UUID(key) == article.preview_key:
            return article, True
    except ValueError:
        pass
    user = request.user
    # Staff who may edit it see it as a preview without the link.
    if (
        user.is_authenticated
        and user.has_perm("directory.view_article")
        and Article.objects.editable_by(user).filter(pk=article.pk).exists()
    ):
        return article, True
    raise Http404


@require_GET
@article_sources
def article_detail(request, slug):
    article, preview = _article_for(request, slug)
    url = request.build_absolute_uri(article.get_absolute_url())
    cover_url = request.build_absolute_uri(article.cover.url) if article.cover else ""
    actors = article.public_actors
    response = render(
        request,
        "editorial/detail.html",
        {
            "article": article,
            "preview": preview,
            "canonical_url": url,
            "cover_url": cover_url,
            "cover_srcset": srcset(article.cover, article.cover_sizes, article.cover_width),
            "body": render_markdown(article.body),
            "gallery": [
                (image, srcset(image.image, image.sizes, image.width))
                for image in article.images.all()
            ],
            "actors": actors,
            "share_links": share_links(article.title, url),
            "social_texts": social_texts(article.title, article.lead, url),
            "jsonld": article_jsonld(article, url, cover_url, request),
            "map_config": {
                "tilesUrl": settings.TILES_URL,
                "tilesAttribution": settings.TILES_ATTRIBUTION,
                "styles": map_styles(),
                "actors": [
                    {
                        "name": a.name,
                        "kind": a.kind,
                        "lat": a.lat,
                        "lon": a.lon,
                        "url": a.get_absolute_url(),
                    }
                    for a in actors
                ],
            },
        },
    )
    if preview:
        # A preview link must not end up in search engines or shared caches.
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def markdown_preview(request):
    """The editor's live preview: the body as the article page will show it."""
    if not (
        request.user.has_perm("directory.add_article")
        or request.user.has_perm("directory.change_article")
    ):
        raise PermissionDenied
    body = request.POST.get("body", "")
    if len(body) > MAX_PREVIEW_CHARS:
        return HttpResponse(status=413)
    return HttpResponse(render_markdown(body), content_type="text/html; charset=utf-8")
