"""Public pages."""

import datetime

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from geodata.gazetteer import locate
from geodata.models import Commune

from . import clock, dataversion, pagecache
from .api.places import outlines_url
from .editorial.views import cards
from .figures.counting import record_search
from .layer import tile_degrees
from .markers import legend, map_styles
from .models import Actor, ActorKind, Article, DistributionLink, ModerationStatus
from .search import SEARCH_PARAMS, Search, SearchForm, load_page
from .serializers import actor_feature
from .structured_data import local_business

RADII = [5, 10, 20, 30, 50, 75, 100]
FILTERS = ("kind", "category", "label", "mode", "open")
LIST_PAGE_SIZE = 20


def home(request, fixed=None, title=None, template="directory/home.html", embed=None):
    """Search page: one box for the place, filters, the list of results and the map.

    ``fixed`` pins filters (the markets page is this page with kind=market); ``embed`` holds
    an embedded map's options (directory.embed), rendered with ``template``."""
    params = request.GET.copy()
    for name, values in (fixed or {}).items():
        params.setlist(name, values)
    searching = bool(SEARCH_PARAMS & set(request.GET)) or bool(fixed)
    form = SearchForm(params if searching else None)
    context = {
        "form": form,
        "searching": searching,
        "radii": RADII,
        "filter_fields": [form[name] for name in FILTERS],
        "active_filters": sum(
            len(request.GET.getlist(name)) for name in FILTERS if request.GET.get(name)
        ),
        "filter_errors": searching and any(form.has_error(name) for name in FILTERS),
        "title": title,
        "fixed": fixed or {},
        "legend": legend(),
        "embed": embed,
    }
    search = None
    if searching and form.is_valid():
        search = Search.from_form(form)
        if search.place_precision not in ("", "municipality"):
            # Around a visitor's position or a street address: theirs alone. Kept, a
            # stranger guessing it could tell from the answer that someone searched there.
            pagecache.keep_private(request)
        context["place_suggestions"] = place_suggestions(request, form)
        if not form.errors:
            results = search.results()
            page = Paginator(results, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
            actors = load_page(results, page.start_index() - 1 if results else 0, page.end_index())
            origin = locate(search.point.y, search.point.x) if search.point else None
            for actor in actors:
                mark_elsewhere(actor, origin)
            if not request.GET.get("page"):
                # Counted again when the page comes from the page cache.
                pagecache.every_view(
                    request,
                    record_search,
                    search_place(search, origin),
                    search_product(search),
                    page.paginator.count,
                )
            if search.open == "now":
                # Who is open changes with the minute, without any write.
                pagecache.expires_at(
                    request,
                    search.now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1),
                )
            context.update(
                search=search,
                page=page,
                actors=actors,
                origin=origin,
                features=[actor_feature(a) for a in actors],
                querystring=request.GET.copy(),
            )
    context["map_config"] = map_config(search, fixed)
    if search and search.point is None and search.has_territory():
        context["map_config"]["bounds"] = territory_bounds(search)
    if not searching:
        counts = dataversion.cached("home-kinds", counts_by_kind)
        context.update(
            kinds=[(kind, counts.get(kind.value, 0)) for kind in ActorKind],
            total=sum(counts.values()),
            # Neither the markets page nor an embed shows "Fenêtre sur…".
            home_articles=home_articles() if not (fixed or embed) else [],
        )
    return render(request, template, context)


def counts_by_kind() -> dict:
    """{kind: published actors}: the home page's figures (cached per data version)."""
    published = Actor.objects.published()
    return dict(published.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))


def place_suggestions(request, form) -> list[tuple[str, str]]:
    """The nearest communes to a place that could not be found, each with the query string
    of the same search on that commune."""
    out = []
    for commune in form.place_suggestions:
        query = request.GET.copy()
        for name in ("page", "near"):
            query.pop(name, None)
        query["where"] = commune.label
        out.append((commune.label, query.urlencode()))
    return out


def search_place(search, origin) -> str:
    """Where a search looked, for the figures: the commune of its point, never the address
    typed, else the territories chosen."""
    if origin is not None:
        if origin.commune is not None:
            return origin.commune.label
        if origin.departement is not None:
            return f"{origin.departement.name} ({origin.departement.code})"
        return gettext("hors des communes connues")
    territory = [*search.regions, *search.departements, *search.communes]
    return ", ".join(territory)[:120]


def search_product(search) -> str:
    """What a search looked for, for the figures: its words, else its categories."""
    return search.q or " ".join(search.categories)


def territory_bounds(search) -> list | None:
    """[[south, west], [north, east]] of a search's territory, for the map's first view."""
    extent = Commune.objects.filter(pk__in=search.territory()).aggregate(e=Extent("outline"))["e"]
    if not extent:
        return None
    west, south, east, north = extent
    return [[south, west], [north, east]]


def home_articles() -> list:
    """ "Fenêtre sur…" on the home page: the featured article (else the latest), then the
    latest three others."""
    published = Article.objects.published()
    featured = cards(published.filter(featured=True))[:1]
    others = cards(published.exclude(pk__in=[a.pk for a in featured]))[:3]
    return [*featured, *others]


def markets(request):
    """Open-air markets: days, hours, season and authorisation to open, on a list and a map."""
    return home(request, fixed={"kind": [ActorKind.MARKET]}, title=gettext("Marchés de plein air"))


def map_config(search, fixed=None) -> dict:
    """What the map script needs, passed through json_script (never string-built JavaScript)."""
    region = settings.TOUTPRES_REGION
    return {
        "tilesUrl": settings.TILES_URL,
        "tilesAttribution": settings.TILES_ATTRIBUTION,
        "center": region["MAP_CENTER"],
        "zoom": region["MAP_ZOOM"],
        "radii": RADII,
        "kinds": map_styles(),
        # The site's own scope of the same answers (directory.api.throttling).
        "placesUrl": reverse("directory:site-places"),
        # Versioned by content: browsers keep the outlines a year (api.places.outlines_url).
        "departementsUrl": outlines_url(),
        "layerUrl": reverse("directory:api-layer"),
        # Tiles: {z}/{x}/{y} replaced by the script; the version makes the URL cacheable.
        "layerTileUrl": reverse(
            "directory:api-layer-tile", kwargs={"z": 0, "x": 0, "y": 0}
        ).replace("/0/0/0.", "/{z}/{x}/{y}."),
        "layerVersion": dataversion.current(),
        "layerTileDegrees": tile_degrees(0),
        "fixed": fixed or {},
        "search": {
            "point": [search.point.y, search.point.x] if search and search.point else None,
            "radiusKm": search.radius_km if search else None,
        },
        "messages": {
            "locating": gettext("Recherche de votre position…"),
            "geolocationRefused": gettext(
                "Position refusée ou introuvable : tapez votre commune ou votre code postal."
            ),
            "geolocationUnavailable": gettext(
                "Votre navigateur ne donne pas sa position : tapez votre commune ou votre code postal."
            ),
            # A 429: too many requests from this connection (often shared by many people).
            "suggestionsThrottled": gettext(
                "Trop de demandes depuis votre connexion : suggestions de communes en pause "
                "quelques instants. Vous pouvez taper la commune et lancer la recherche."
            ),
            "mapThrottled": gettext(
                "Trop de demandes depuis votre connexion : la carte ne se met plus à jour pour "
                "quelques instants. La liste des résultats reste complète."
            ),
        },
    }


def mark_elsewhere(actor, origin) -> None:
    """Flag results in another département or région than the searched place: shown plainly."""
    actor.other_departement = actor.other_region = False
    if origin and origin.departement and actor.commune_id:
        departement = actor.commune.departement
        actor.other_departement = departement.pk != origin.departement.pk
        actor.other_region = departement.region_id != origin.departement.region_id


def actor_detail(request, slug):
    """A listing; unpublished ones are 404 for everyone but their owner and the staff."""
    merged = (
        Actor.objects.filter(slug=slug, status=ModerationStatus.ARCHIVED)
        .exclude(merged_into=None)
        .select_related("merged_into")
        .first()
    )
    if merged and merged.merged_into.status == ModerationStatus.PUBLISHED:
        # Links to a duplicate that was merged keep working.
        return redirect(merged.merged_into, permanent=True)
    actor = get_object_or_404(
        Actor.objects.visible_to(request.user)
        .with_places("commune__departement__region", "authorisation")
        .select_related("import_source")
        .prefetch_related(
            "categories",
            "labels",
            "sale_modes",
            "opening_slots__season",
            "schedule_exceptions",
            "photos",
            Prefetch(
                # Only the places the public may see: a pending market is not named.
                "distribution_links",
                queryset=DistributionLink.objects.filter(
                    place__status=ModerationStatus.PUBLISHED
                ).with_places(),
            ),
            Prefetch(
                "supplier_links",
                queryset=DistributionLink.objects.filter(actor__status="published").with_places(),
            ),
        ),
        slug=slug,
    )
    url = request.build_absolute_uri(actor.get_absolute_url())
    point = actor.public_location
    articles = list(actor.articles.published().only("title", "slug", "kind", "publish_at")[:5])
    photos = [(p, request.build_absolute_uri(p.image.url)) for p in actor.photos.all()]
    return render(
        request,
        "directory/actor_detail.html",
        {
            "actor": actor,
            "canonical_url": url,
            "photos": photos,
            "articles": articles,
            "today": timezone.localdate(clock.now()),
            "open_data": settings.TOUTPRES_OPEN_DATA,
            "jsonld": local_business(actor, url, [absolute for _, absolute in photos]),
            "map_config": {
                "tilesUrl": settings.TILES_URL,
                "tilesAttribution": settings.TILES_ATTRIBUTION,
                "point": [point.y, point.x] if point else None,
                "approximate": actor.location_is_approximate,
                "name": actor.name,
                "kind": actor.kind,
                "pin": map_styles()[actor.kind],
            },
        },
    )
