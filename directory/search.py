"""One search, many outputs: the HTML list, the map layer, the API and the printable sheet
all build their queryset here."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geodata.distance import validate_coordinates
from geodata.gazetteer import suggest
from geodata.geocoding import geocode
from geodata.models import Commune, Departement, Region
from geodata.text import normalize

from . import dataversion
from .models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    Label,
    ModerationStatus,
    OpeningSlot,
    SaleMode,
)
from .models.expressions import RelatedSlugs
from .ranking import page_rows, ranked
from .schedule import (
    WEEKDAYS,
    links_open_at,
    links_open_on,
    not_closed_on,
    paris_now,
    places_open_at,
    places_open_on,
)
from .serializers import FEATURE_VALUES, LINK_VALUES, actor_url_template, feature, site_root

MIN_RADIUS_KM, MAX_RADIUS_KM, DEFAULT_RADIUS_KM = 5, 100, 20
# The query parameters a search reads: where it looks (the place) and what it keeps (the
# filters). The HTML pages read both; the map's tiles only the filters, the tile being the place.
PLACE_PARAMS = ("where", "near", "radius", "bbox")
FILTER_PARAMS = (
    "q",
    "kind",
    "category",
    "label",
    "mode",
    "open",
    "departement",
    "commune",
    "region",
)
SEARCH_PARAMS = frozenset(PLACE_PARAMS + FILTER_PARAMS)

OPEN_CHOICES = [("now", _("ouvert maintenant"))] + [
    (name, label)
    for name, label in zip(
        WEEKDAYS,
        [
            _("lundi"),
            _("mardi"),
            _("mercredi"),
            _("jeudi"),
            _("vendredi"),
            _("samedi"),
            _("dimanche"),
        ],
        strict=True,
    )
]


class PairField(forms.CharField):
    """ "lat,lon" or "w,s,e,n": comma-separated finite numbers."""

    def __init__(self, *args, size: int, **kwargs):
        self.size = size
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            numbers = [float(v) for v in value.split(",")]
        except ValueError:
            raise ValidationError(
                _("Format attendu : %(n)d nombres séparés par des virgules."),
                params={"n": self.size},
            ) from None
        if len(numbers) != self.size:
            raise ValidationError(
                _("Format attendu : %(n)d nombres séparés par des virgules."),
                params={"n": self.size},
            )
        return numbers


class SlugChoiceField(forms.MultipleChoiceField):
    """Several slugs of a reference table (category, label, sale mode), or codes of a
    territory table (``key="code"``)."""

    def __init__(self, model, *args, key="slug", **kwargs):
        self.model, self.key = model, key
        self.reference = lambda: reference_choices(model)
        super().__init__(*args, required=False, **kwargs)

    def valid_value(self, value):
        # PostgreSQL refuses NUL in a string literal: such a value is invalid, not a 500.
        if "\x00" in value or len(value) > 100:
            return False
        if self.key == "slug":  # a taxonomy: reference data, read once per form
            return value in dict(self.reference())
        return self.model.objects.filter(**{self.key: value}).exists()


def _taxonomies() -> dict[str, list[tuple[str, str]]]:
    return {
        model._meta.label_lower: [(c.slug, c.name) for c in model.objects.all()]
        for model in (Category, Label, SaleMode)
    }


def reference_choices(model) -> list[tuple[str, str]]:
    """(slug, name) of a taxonomy (categories, labels, sale modes) in its order: the lists
    every search form shows and validates against, kept in the shared cache under the data
    version (taxonomy writes bump it): one cache read a page instead of three queries."""
    return dataversion.cached("taxonomies", _taxonomies)[model._meta.label_lower]


class SearchForm(forms.Form):
    """Validates every search parameter; errors name the parameter."""

    where = forms.CharField(label=_("Où ?"), required=False, max_length=200)
    near = PairField(size=2, required=False, label=_("Autour du point (lat,lon)"))
    radius = forms.IntegerField(
        label=_("Rayon (km)"), required=False, min_value=MIN_RADIUS_KM, max_value=MAX_RADIUS_KM
    )
    q = forms.CharField(label=_("Quoi ?"), required=False, max_length=100)
    kind = forms.MultipleChoiceField(label=_("Type"), choices=ActorKind.choices, required=False)
    category = SlugChoiceField(Category, label=_("Produits"))
    label = SlugChoiceField(Label, label=_("Labels"))
    mode = SlugChoiceField(SaleMode, label=_("Comment acheter"))
    open = forms.ChoiceField(label=_("Ouvert"), choices=[("", "—")] + OPEN_CHOICES, required=False)
    bbox = PairField(size=4, required=False, label=_("Emprise (ouest,sud,est,nord)"))
    # A partner's territory (embeds, API): see Search.territory() for what belongs to it.
    departement = SlugChoiceField(Departement, key="code", label=_("Départements"))
    commune = SlugChoiceField(Commune, key="code", label=_("Communes (code INSEE)"))
    region = SlugChoiceField(Region, key="code", label=_("Régions"))
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    # Set by unknown_place() when ``where`` names no known place.
    place_unknown = ""
    place_suggestions = ()

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Choices for the HTML form, read only when it is rendered (callables are lazy):
        # API requests validate through valid_value above and never need them.
        # The taxonomies come once per form (one cache read), for validation and rendering.
        taxonomies = {}

        def reference(model):
            if not taxonomies:
                taxonomies.update(dataversion.cached("taxonomies", _taxonomies))
            return taxonomies[model._meta.label_lower]

        for name in ("category", "label", "mode"):
            field = self.fields[name]
            field.reference = lambda model=field.model: reference(model)
            field.choices = field.reference

    def clean_near(self):
        value = self.cleaned_data.get("near")
        if value:
            lat, lon = validate_coordinates(*value)
            return Point(lon, lat, srid=4326)
        return None

    def clean_bbox(self):
        value = self.cleaned_data.get("bbox")
        if value:
            west, south, east, north = value
            validate_coordinates(south, west)
            validate_coordinates(north, east)
            if west >= east or south >= north:
                raise ValidationError(_("Emprise invalide : ouest < est et sud < nord attendus."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("radius") is None:
            data["radius"] = DEFAULT_RADIUS_KM
        return data


def unknown_place(form, where: str) -> None:
    """The place cannot be resolved: say so on ``where`` and keep the nearest communes on
    the form (``form.place_suggestions``) for the page to offer as links."""
    form.place_unknown = where
    form.place_suggestions = suggest(where, 3)
    message = _("Nous ne trouvons pas « %(where)s ».") % {"where": where}
    if form.place_suggestions:
        message += " " + _("Vouliez-vous dire %(names)s ?") % {
            "names": str(_(" ou ")).join(c.label for c in form.place_suggestions)
        }
    form.add_error("where", message)


@dataclass
class Search:
    """A validated search, ready to run."""

    point: Point | None = None
    place_label: str = ""
    radius_km: int = DEFAULT_RADIUS_KM
    q: str = ""
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    open: str = ""
    bbox: list[float] | None = None
    departements: list[str] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    now: datetime.datetime | None = None
    open_date: datetime.date | None = None
    # How precise the place searched around is: "point" (near=, a visitor's position),
    # the geocoder's precision ("municipality", "street", "housenumber"…), "" for none.
    place_precision: str = ""

    @classmethod
    def from_form(cls, form: SearchForm, now=None, resolve_place=True) -> "Search":
        data = form.cleaned_data
        search = cls(
            point=data.get("near"),
            radius_km=data["radius"],
            q=data.get("q") or "",
            kinds=data.get("kind") or [],
            categories=data.get("category") or [],
            labels=data.get("label") or [],
            modes=data.get("mode") or [],
            open=data.get("open") or "",
            bbox=data.get("bbox"),
            departements=data.get("departement") or [],
            communes=data.get("commune") or [],
            regions=data.get("region") or [],
            now=paris_now(now),
            place_precision="point" if data.get("near") else "",
        )
        where = (data.get("where") or "").strip()
        if where and search.point is None and resolve_place:
            result = geocode(where)
            if result is None:
                unknown_place(form, where)
            else:
                search.point, search.place_label = result.point, result.label
                search.place_precision = result.precision
        return search

    def is_unfiltered(self) -> bool:
        """Only a place: every published actor in range qualifies."""
        return not (
            self.kinds
            or self.categories
            or self.labels
            or self.modes
            or self.q.strip()
            or self.open
            or self.bbox
            or self.has_territory()
        )

    def has_territory(self) -> bool:
        return bool(self.departements or self.communes or self.regions)

    def territory(self):
        """The communes of the partner's territory (a subquery), or None for everywhere."""
        if not self.has_territory():
            return None
        return Commune.objects.filter(
            Q(code__in=self.communes)
            | Q(departement__code__in=self.departements)
            | Q(departement__region__code__in=self.regions)
        ).values("pk")

    def open_links(self, links):
        """``links`` (DistributionLinks) kept by the « ouvert » filter: a producer reached
        through a place is there on the link's day, when the place is open (the one rule,
        directory.schedule.links_open_on). ``links`` itself without the filter."""
        if self.open == "now":
            return links_open_at(links, self.now)
        if self.open:
            links, self.open_date = links_open_on(links, WEEKDAYS.index(self.open), self.now.date())
        return links

    def open_day(self) -> datetime.date | None:
        """The date « ouvert … » asks about (today for « maintenant »), or None."""
        if self.open == "now":
            return paris_now(self.now).date()
        if self.open:
            today = self.now.date()
            return today + datetime.timedelta(
                days=(WEEKDAYS.index(self.open) - today.weekday()) % 7
            )
        return None

    def _open_by_own_hours(self, qs):
        if self.open == "now":
            return places_open_at(qs, self.now)
        if self.open:
            qs, self.open_date = places_open_on(qs, WEEKDAYS.index(self.open), self.now.date())
        return qs

    def filtered(self, hours: str = "listed"):
        """Published actors matching every filter except the place.

        With « ouvert … », ``hours`` says whose hours count:

        - ``"own"``: every actor by its own (the results in range, at their own place);
        - ``"reached"``: none (actors reached through a place, whose link says when they
          are there, open_links), but an actor closed that day (« fermé jusqu'au ») is not
          there either;
        - ``"listed"`` (lists without a point): the actors of a territory by their own,
          and the producers who sell at one of its places by their link to it.
        """
        qs = Actor.objects.published()
        if self.kinds:
            qs = qs.filter(kind__in=self.kinds)
        for relation, slugs in (
            ("categories", self.categories),
            ("labels", self.labels),
            ("sale_modes", self.modes),
        ):
            if slugs:
                # A subquery rather than a join: no duplicate rows, no DISTINCT on geometries.
                qs = qs.filter(
                    pk__in=Actor.objects.filter(**{f"{relation}__slug__in": slugs}).values("pk")
                )
        for word in normalize(self.q).split():
            matching = [c.pk for c in Category.objects.all() if word in normalize(c.name)]
            qs = qs.filter(
                Q(search_text__contains=word)
                | Q(pk__in=Actor.objects.filter(categories__in=matching).values("pk"))
            )
        if self.bbox:
            qs = qs.in_bbox(self.bbox)
        own = reached = qs
        if self.open:
            own = self._open_by_own_hours(qs)
            reached = not_closed_on(qs, self.open_day())
        communes = self.territory()
        if communes is None:
            return reached if hours == "reached" else own
        # What belongs to a territory: the actors located in it, and the producers from
        # elsewhere who sell at one of its markets or deliver to one of its pick-up points
        # (the platform's rule: where you can buy matters, not where the farm is).
        links = DistributionLink.objects.filter(
            place__commune__in=communes, place__status=ModerationStatus.PUBLISHED
        )
        if hours == "own" or not self.open:
            sellers = links.values("actor_id")
            base = own if hours == "own" else qs
            return base.filter(Q(commune__in=communes) | Q(pk__in=sellers))
        # There on the day asked through a link in use then (open_links).
        sellers = self.open_links(links).values("actor_id")
        if hours == "reached":
            return reached.filter(Q(commune__in=communes) | Q(pk__in=sellers))
        located = own.filter(commune__in=communes).values("pk")
        return reached.filter(Q(pk__in=located) | Q(pk__in=sellers))

    def results(self) -> list["Result"]:
        """Ranked results: nearest first around a point (with actors reached through a
        market or pick-up point inside the radius), else alphabetical."""
        if self.point is None:
            qs = self.filtered().order_by("name", "pk")
            return [Result(pk, None) for pk in qs.values_list("pk", flat=True)]
        return [Result(pk, metres / 1000, via_link=via) for pk, metres, via in ranked(self)]


@dataclass
class Result:
    pk: int
    distance_km: float | None
    via_link: int | None = None  # DistributionLink through which the actor is reached


def load_page(results: list[Result], start: int, stop: int):
    """The actors of one page, in order, with what the output needs, in a constant number of queries."""
    page = results[start:stop]
    actors = (
        Actor.objects.filter(pk__in=[r.pk for r in page])
        # The région too: a result across its border is labelled with its name.
        .with_places("authorisation", "commune__departement__region")
        .with_public_coordinates()
        # Pins come as numbers from the database; no geometry is parsed for a page.
        .defer("search_text", "location", "commune__townhall")
        .prefetch_related(
            "categories",
            "labels",
            "sale_modes",
            # Each slot's season in the same query: a market's card shows its dates.
            Prefetch("opening_slots", OpeningSlot.objects.select_related("season")),
        )
    )
    by_pk = {a.pk: a for a in actors}
    links = DistributionLink.objects.filter(
        pk__in=[r.via_link for r in page if r.via_link]
    ).with_places()
    links = {link.pk: link for link in links}
    out = []
    today = paris_now().date()
    for r in page:
        actor = by_pk[r.pk]
        # Closed for the holidays: said on the card (the listing's page says it too).
        actor.closed_until_shown = (
            actor.closed_until if actor.closed_until and actor.closed_until >= today else None
        )
        actor.distance_km = r.distance_km
        actor.reached_through = link = links.get(r.via_link)
        # To a home-based producer (or through one's pick-up point) the distance is to the
        # commune's pin, in whole kilometres: shown as « environ ».
        actor.distance_is_approximate = r.distance_km is not None and (
            link.place.location_is_approximate if link else actor.location_is_approximate
        )
        out.append(actor)
    return out


def load_features(results: list[Result], start: int, stop: int, request=None) -> list[dict]:
    """One page as GeoJSON features, from plain values: rows and their categories in one
    statement, plus one for the reached-through links when the page has some."""
    page = results[start:stop]
    rows = {
        row["pk"]: row
        for row in Actor.objects.filter(pk__in=[r.pk for r in page])
        .with_public_coordinates()
        .annotate(category_slugs=RelatedSlugs(Actor, "categories"))
        .values(*FEATURE_VALUES, "category_slugs")
    }
    via = [r.via_link for r in page if r.via_link]
    links = (
        {
            link["pk"]: link
            for link in DistributionLink.objects.filter(pk__in=via).values(*LINK_VALUES)
        }
        if via
        else {}
    )
    root = site_root(request)
    return [
        feature(
            rows[r.pk],
            (rows[r.pk]["category_slugs"] or "").split(),
            r.distance_km,
            links.get(r.via_link),
            request,
            root,
        )
        for r in page
    ]


def feature_page(search: Search, number: int, size: int, request=None) -> tuple[list[dict], int]:
    """Page ``number`` (from 1) of a search as GeoJSON features, with the number of results.

    Around a point, the ranking, the count, the rows and their links come from one statement
    (``ranking.page_rows``); without one, results are alphabetical and paged in Python.
    """
    start = (number - 1) * size
    if search.point is None:
        results = search.results()
        return load_features(results, start, start + size, request), len(results)
    rows, links, total = page_rows(search, start, size)
    root, language, template = site_root(request), get_language() or "", actor_url_template()
    features = [
        feature(
            row,
            (row["category_slugs"] or "").split(),
            row["metres"] / 1000,
            link,
            request,
            root,
            language,
            template,
        )
        for row, link in zip(rows, links, strict=True)
    ]
    return features, total
