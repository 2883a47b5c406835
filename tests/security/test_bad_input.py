"""No 500 from user input: every public route, every parameter, a corpus of bad values.

The routes come from the URLconf itself: a route added without being classified here
fails ``test_every_route_is_classified``, so the sweep cannot silently miss it.
"""

import uuid
from html import unescape
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.contrib.gis.geos import Point
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from directory import views
from directory.models import Actor, ActorKind, ModerationStatus
from geodata.models import Commune

pytestmark = pytest.mark.django_db

# Typed by people: places the gazetteer must resolve or explain, and the rest of the
# usual suspects (NUL, template syntax, markup, numbers that overflow, bad dates…).
BAD_VALUES = [
    "Bloiss",
    "Tours 37",
    "Blois, France",
    "41000 Blois",
    "\x00",
    "Blois\x00",
    "{{7*7}}",
    "{% debug %}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "1e309",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "NaN",
    "-Infinity",
    "2024-13-45",
    "31/02/2024",
    "91,181",
    "nan,nan",
    "1e309,1e309",
    "4,3,2,1",
    "1e309,0,1e309,0",
    ",,,",
    "",
    "x" * 5000,
    "é" * 300,
    "../../../etc/passwd",
    "\u202e\u0661\u0662",
]
# Sent as they are in the query string: invalid UTF-8, an encoded NUL, a lone %.
RAW_VALUES = ["%ff", "%00", "%c3%28", "%e2%82", "a%0d%0aSet-Cookie:x=1"]
# One of each kind, for parameters a view only compares with a list (choices, formats):
# the whole corpus goes to the ones it parses (places, numbers, coordinates, paths).
CORE_VALUES = [
    "Bloiss",
    "\x00",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "1e309",
    "99999999999999999999",
    "-1",
    "NaN",
    "2024-13-45",
    "91,181",
    "",
    "x" * 5000,
]
CORE_RAW = ["%ff", "%00", "%c3%28"]
PARSED = {
    "where",
    "near",
    "radius",
    "q",
    "bbox",
    "page",
    "zoom",
    "z",
    "commune",
    "limit",
    "next",
    "cle",
    "place",
    "accent",
    "controls",
    "map",
    "height",
    "apercu",
}

# Every parameter the search reads (from the view, so a new one is swept too), and the page.
SEARCH_PARAMS = [*sorted(views.SEARCH_PARAMS), "page"]

# Every named route of the URLconf, by kind. PUBLIC routes are swept below; the others are
# listed so that a new route cannot be added without someone deciding where it belongs.
PUBLIC = {
    "directory:home": {"params": SEARCH_PARAMS + ["format"]},
    # The search form's parsing is swept in full on the home page and the API; the other
    # pages built on it get the full corpus on the place and on their own parameters.
    "directory:markets": {"params": SEARCH_PARAMS, "full": {"where"}},
    "directory:embed": {
        "params": SEARCH_PARAMS + ["controls", "lang", "accent", "map"],
        "full": {"where", "controls", "accent", "map"},
    },
    "directory:embed-builder": {
        "full": {"commune", "where", "height", "accent"},
        "params": [
            "departement",
            "commune",
            "where",
            "radius",
            "kind",
            "category",
            "controls",
            "lang",
            "accent",
            "height",
        ],
    },
    "directory:sheet": {
        "params": SEARCH_PARAMS,
        "base": {"commune": "41018"},
        "full": {"commune", "radius"},
    },
    "directory:standalone-map": {
        "params": SEARCH_PARAMS,
        "base": {"near": "47.59,1.33"},
        "full": {"where", "near", "q"},
    },
    "directory:actor-detail": {"params": ["commune", "page"], "kwargs": "slug"},
    "directory:claim": {"params": ["next"], "kwargs": "slug"},
    "directory:opendata": {"params": ["format"]},
    "directory:opendata-file": {"params": ["inline"], "kwargs": "filename"},
    "directory:alerts": {"params": ["place", "radius_km", "categories"]},
    "directory:alert-confirm": {"params": [], "kwargs": "token"},
    "directory:alert-unsubscribe": {"params": [], "kwargs": "token"},
    "directory:alert-resubscribe": {"params": [], "kwargs": "token"},
    "directory:articles": {"params": ["kind", "departement", "page"]},
    "directory:articles-atom": {"params": ["page"]},
    "directory:articles-rss": {"params": ["page"]},
    "directory:article": {"params": ["apercu"], "kwargs": "slug"},
    "directory:register": {"params": ["next"]},
    "directory:registration-confirm": {"params": [], "kwargs": "signed"},
    "directory:owner-confirm-link": {"params": [], "kwargs": "signed"},
    "directory:owner-home": {"params": ["next"]},
    "directory:owner-link": {"params": ["next"]},
    "directory:owner-login": {"params": ["cle", "next"]},
    "directory:owner-edit": {"params": [], "kwargs": "pk"},
    "directory:owner-submitted": {"params": [], "kwargs": "pk"},
    "directory:owner-confirm": {"params": [], "kwargs": "pk"},
    "directory:owner-step": {"params": [], "kwargs": "pk-step"},
    "directory:api-actors": {"params": SEARCH_PARAMS + ["format"]},
    "directory:api-actor": {"params": ["format"], "kwargs": "slug"},
    "directory:api-kinds": {"params": ["format", "lang"]},
    "directory:api-categories": {"params": ["format", "lang"]},
    "directory:api-labels": {"params": ["format", "lang"]},
    "directory:api-modes": {"params": ["format", "lang"]},
    "directory:api-markets": {
        "params": ["kind", "day", "departement", "commune", "page", "format"]
    },
    "directory:api-places": {"params": ["q", "limit", "format"], "base": {"q": "blo"}},
    "directory:site-places": {"params": ["q", "limit", "format"], "base": {"q": "blo"}},
    "directory:site-departements": {"params": ["format"]},
    "directory:site-departements-outlines": {"params": [], "kwargs": "version"},
    "directory:api-regions": {"params": ["format"]},
    "directory:api-departements": {"params": ["format"]},
    "directory:api-articles": {"params": ["kind", "departement", "page", "format"]},
    "directory:api-layer": {
        "params": SEARCH_PARAMS + ["zoom", "z"],
        "base": {"bbox": "1.2,47.5,1.5,47.7", "zoom": "12"},
        "full": {"bbox", "zoom", "q"},
    },
    "directory:api-layer-tile": {
        "params": SEARCH_PARAMS + ["v"],
        "kwargs": "tile",
        "full": {"q", "open", "v"},
    },
    "sitemap-index": {"params": ["p"]},
    "django.contrib.sitemaps.views.sitemap": {"params": ["p"], "kwargs": "section"},
    "api-schema": {"params": ["format", "lang"]},
    "api-docs": {"params": ["format"]},
    "set_language": {"params": ["next", "language"]},
    "security-txt": {"params": []},
    # The health check reads no parameter; it answers 200 or 503, never 500.
    "health": {"params": ["format"]},
    "healthz": {"params": ["format"]},
}
# POST-only actions (a GET is a 405 or a redirect: swept once each with the bad values as
# path parts where they have some), and pages for staff only.
ACTIONS = {
    "directory:owner-closure": "pk",
    "directory:owner-publication": "pk",
    "directory:owner-deletion": "pk",
    "directory:article-preview": None,
    "directory:owner-logout": None,
}
STAFF_PREFIXES = ("admin:", "directory:moderation-", "directory:figures", "directory:import-")


def route_names() -> set[str]:
    """Every named route of the URLconf, namespaced ("directory:home", "admin:index")."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                prefix = f"{inner}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_is_classified():
    unclassified = {
        name
        for name in route_names()
        if name not in PUBLIC and name not in ACTIONS and not name.startswith(STAFF_PREFIXES)
    }
    assert not unclassified, (
        f"Routes not covered by the bad-input sweep: {sorted(unclassified)}. Add them to "
        "PUBLIC (with the parameters their view reads), ACTIONS or STAFF_PREFIXES."
    )
    stale = {name for name in PUBLIC | ACTIONS if name not in route_names()}
    assert not stale, f"Classified routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def listings(db):
    blois = Commune.objects.get(code="41018")
    published = Actor.objects.create(
        name="Ferme des Grouëts",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=blois,
        location=Point(1.33, 47.59, srid=4326),
        location_is_approximate=True,
    )
    Actor.objects.create(
        name="Marché de Blois",
        kind=ActorKind.MARKET,
        status=ModerationStatus.PUBLISHED,
        commune=blois,
        location=Point(1.335, 47.587, srid=4326),
    )
    return published


def path_variants(name: str, kind: str | None, listing) -> list[str]:
    """The route's own path, plus bad values in its path parameters."""
    if kind is None:
        return [reverse(name)]
    if kind == "slug":
        good = {"directory:article": "inconnu"}.get(name, listing.slug)
        values = [good, "x" * 300, "inconnu", "ferme-des-grouets-", "0", "99999999999999999999"]
        if name == "directory:api-actor":  # <str:slug> takes anything
            values += ["%00", "%ff", "{{7*7}}", "a%00b", "é" * 200]
        return [reverse(name, args=[values[0]])] + [
            reverse(name, args=["placeholder"]).replace("placeholder", v) for v in values[1:]
        ]
    if kind == "filename":
        good = reverse(name, args=["annuaire.geojson"])
        return [good] + [
            good.replace("annuaire.geojson", v)
            for v in ("inconnu.csv", "%00", "%ff", "..%2F..%2Fsettings.py", "x" * 300, "a%00.csv")
        ]
    if kind == "token":
        return [reverse(name, args=[uuid.uuid4()])]
    if kind == "signed":  # django.core.signing tokens: forged, truncated, garbage
        good = reverse(name, args=["placeholder"])
        return [good] + [
            good.replace("placeholder", v)
            for v in ("eyJhIjoxfQ:1abc:def", "a" * 3000, "%00", "%ff", "{{7*7}}", ":::")
        ]
    if kind == "pk":
        return [
            reverse(name, args=[n]) for n in (listing.pk, 0, 99999999999999999999, 2**63, 2**31)
        ]
    if kind == "pk-step":
        return [
            reverse(name, args=[listing.pk, step]) for step in ("qui", "quoi", "inconnu", "x" * 300)
        ] + [reverse(name, args=[2**63, "qui"])]
    if kind == "tile":  # z/x/y: a tile of the region, then out-of-range ones
        tiles = [(8, 64, 48), (0, 0, 0), (21, 0, 0), (8, 10**6, 0), (8, 0, 2**63), (99, 2**31, 1)]
        return [reverse(name, args=t) for t in tiles]
    if kind == "version":  # the outlines' content hash: the current one, then stale or odd ones
        from geodata import outlines

        good = reverse(name, args=[outlines.version()])
        return [good] + [reverse(name, args=[v]) for v in ("0", "inconnu", "x" * 300, "a-b_c")]
    if kind == "section":
        return [reverse(name, args=[s]) for s in ("actors", "inconnu", "x" * 300)]
    raise AssertionError(kind)


def queries(spec: dict) -> list[str]:
    """Query strings: each parameter alone with each bad value, raw bytes, repeats."""
    base = spec.get("base", {})
    full = spec.get("full", PARSED) & set(spec["params"])
    rest = [p for p in spec["params"] if p not in full]
    out = [""] if not base else []
    for param in spec["params"]:
        others = "".join(f"&{k}={quote(v)}" for k, v in base.items() if k != param)
        if param in full:
            out += [f"{param}={quote(value)}{others}" for value in BAD_VALUES]
            out += [f"{param}={raw}{others}" for raw in RAW_VALUES]
        out.append(f"{param}=Blois&{param}=Tours&{param}={quote('{{7*7}}')}{others}")
        out.append(f"{param}[]=1&{param}{others}")
    # Parameters only compared with a list of choices are validated one by one, each with
    # its own error: they take each value together, which masks nothing.
    if rest:
        others = "".join(f"&{k}={quote(v)}" for k, v in base.items() if k not in rest)
        for value in [quote(v) for v in CORE_VALUES] + CORE_RAW:
            out.append("&".join(f"{p}={value}" for p in rest) + others)
    if base:
        out.append("&".join(f"{k}={quote(v)}" for k, v in base.items()))
    # Everything at once, with a typo for the place.
    out.append("&".join(f"{p}=Bloiss" for p in spec["params"]))
    return out


def assert_no_server_error(client, url: str):
    response = client.get(url)
    assert response.status_code < 500, (
        f"GET {url[:300]} answered {response.status_code}: user input must never give a 5xx"
    )
    return response


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_no_public_route_answers_5xx_to_bad_input(name, listings, settings):
    settings.DEBUG = False
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    # The sweep is about crashes, not quotas: a route must not hide a 500 behind a 429.
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 10**9, "PER_EMAIL_PER_HOUR": 10**9}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],
    }
    client = Client(raise_request_exception=False)
    spec = PUBLIC[name]
    own, *others = path_variants(name, spec.get("kwargs"), listings)
    for query in queries(spec):
        assert_no_server_error(client, f"{own}?{query}" if query else own)
    # Bad path parameters: with no query, and with every parameter bad at once.
    everything = "&".join(f"{p}={quote('{{7*7}}')}&{p}=%ff" for p in spec["params"])
    for path in others:
        for query in ("", everything):
            assert_no_server_error(client, f"{path}?{query}" if query else path)


def test_action_routes_refuse_a_get_without_5xx(listings):
    client = Client(raise_request_exception=False)
    for name in ACTIONS:
        kwargs = [listings.pk] if ACTIONS[name] == "pk" else []
        url = reverse(name, args=kwargs)
        assert_no_server_error(client, f"{url}?q={quote('{{7*7}}')}&x=%ff")
        response = client.post(url, {"text": "\x00{{7*7}}", "body": "x" * 10000})
        assert response.status_code < 500, f"POST {url} answered {response.status_code}"


# --- An unknown place is a helpful message, in French, with the nearest communes --------


@pytest.mark.parametrize(
    "name", ["directory:home", "directory:markets", "directory:embed", "directory:standalone-map"]
)
def test_a_typo_says_so_in_french_and_suggests_the_nearest_communes(name, listings, settings):
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    client = Client(raise_request_exception=False)
    response = client.get(reverse(name), {"where": "Bloiss"})
    page = unescape(response.content.decode())
    assert response.status_code < 500, f"{name}: a typo gave {response.status_code}"
    assert "Nous ne trouvons pas « Bloiss »" in page, f"{name}: no French message for the typo"
    assert "Vouliez-vous dire" in page and "Blois" in page, f"{name}: no suggestion of Blois"
    if name != "directory:standalone-map":
        # Suggestions are links that run the same search on the commune.
        assert "where=Blois+%2841000%29" in page or "where=Blois%20%2841000%29" in page, (
            f"{name}: the suggestion is not a link to the search on Blois"
        )


def test_the_suggestion_reads_right_in_english(listings, settings):
    import re

    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    page = unescape(client.get(reverse("directory:home"), {"where": "Bloiss"}).content.decode())
    text = re.sub(r"<[^>]+>", "", page)
    assert "We cannot find" in text, "the English page does not say the place is unknown"
    assert re.search(r"Did you mean Blois \(41000\)[^<]*?\?", text), "no English suggestion"
    assert not re.search(r"\)\s\?", text), "English keeps the French space before « ? »"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Tours 37", "37261"),
        ("Blois, France", "41018"),
        ("41000 Blois", "41018"),
        ("Blois (41)", "41018"),
        ("Orleans 45", "45234"),
        ("Saint-Avertin 37", "37208"),
    ],
)
def test_a_place_with_its_departement_or_country_is_resolved(typed, code, listings, settings):
    from geodata.geocoding import geocode

    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    result = geocode(typed)
    assert result is not None and result.commune_code == code, (
        f"« {typed} » should resolve to commune {code}, got {result}"
    )
    response = Client(raise_request_exception=False).get("/", {"where": typed})
    assert response.status_code == 200, f"« {typed} » gave {response.status_code}"
    assert "Nous ne trouvons pas" not in unescape(response.content.decode())


@pytest.mark.parametrize(
    "typed, expected",
    [("Bloiss", "Blois"), ("Orlean", "Orléans"), ("Vandome", "Vendôme"), ("Chateauroux", None)],
)
def test_the_gazetteer_suggests_near_misses(typed, expected, db):
    from geodata.gazetteer import suggest

    names = [c.name for c in suggest(typed)]
    if expected:
        assert names and names[0] == expected, f"« {typed} »: suggestions {names}"
    else:
        assert names, f"« {typed} »: no suggestion at all"


# --- Error pages: French, styled, and safe with DEBUG off --------------------------------


@override_settings(DEBUG=False)
def test_404_page_is_french_and_styled(db):
    response = Client(raise_request_exception=False).get("/acteurs/cette-fiche-n-existe-pas/")
    page = unescape(response.content.decode())
    assert response.status_code == 404
    assert "Page introuvable" in page, "the 404 page is not the site's French page"
    assert "css/site.css" in page and 'lang="fr"' in page
    assert "<script" not in page


@override_settings(DEBUG=False)
def test_500_page_is_french_and_needs_neither_request_nor_database(db):
    from django.db import connection
    from django.template import loader
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = loader.get_template("500.html").render()  # as django.views.defaults does
    assert not queries.captured_queries, "the 500 page must not touch the database"
    assert "Erreur du serveur" in page and "css/site.css" in page
    for name in ("400.html", "403.html", "404.html"):
        assert "<!DOCTYPE html>" in loader.get_template(name).render({"request_path": "/x"})


@override_settings(DEBUG=False)
def test_an_exception_in_a_view_gives_the_french_500(db, monkeypatch):
    from directory import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "home_articles", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Erreur du serveur" in unescape(response.content.decode())


def test_registration_and_alerts_explain_an_unknown_commune(db, settings):
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    from directory.alerts.forms import AlertForm
    from directory.registration.forms import resolve_commune

    assert resolve_commune("Tours 37").code == "37261"
    assert resolve_commune("Blois, France").code == "41018"
    with pytest.raises(Exception) as raised:
        resolve_commune("Bloiss")
    assert "Vouliez-vous dire Blois (41000)" in str(raised.value.messages)
    form = AlertForm({"email": "a@example.org", "place": "Bloiss", "radius_km": "10"})
    assert not form.is_valid()
    assert "Vouliez-vous dire Blois (41000)" in str(form.errors["place"])


# --- POST: every form a stranger or an owner can send, field by field, as a browser would.

# Keys of rows (categories, labels, sale modes, places, formset rows…) the way an attacker
# types them: beyond 64 bits (SQLite cannot bind them), negative, not a number, a float,
# non-ASCII digits; then the usual suspects.
PK_VALUES = ["99999999999999999999", "-1", "x"]
POST_VALUES = PK_VALUES + ["\x00", "x" * 5000]


class FormsOnPage(HTMLParser):
    """The POST forms of a page as the browser would send them untouched: text and hidden
    inputs with their value, checked boxes, selected options, textareas' text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self.forms.append({"action": attrs.get("action") or "", "fields": {}, "names": []})
            else:
                self.forms.append(None)
            return
        if not self.forms or self.forms[-1] is None or not attrs.get("name"):
            return
        form, name = self.forms[-1], attrs["name"]
        if name not in form["names"]:
            form["names"].append(name)
        fields = form["fields"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields.setdefault(name, []).append(attrs.get("value") or "on")
                return
            fields.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, []).append("")
        elif tag == "select":
            self._select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)

    def handle_data(self, data):
        if self._textarea and self.forms and self.forms[-1] is not None:
            self.forms[-1]["fields"][self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None and self.forms[-1] is not None:
            chosen = self._select["chosen"] or [self._select["first"] or ""]
            self.forms[-1]["fields"][self._select["name"]] = chosen
            self._select = None


def post_forms(page: str, url: str) -> list[tuple[str, dict, list[str]]]:
    parser = FormsOnPage()
    parser.feed(page)
    found = []
    for form in parser.forms:
        if form is None:
            continue
        data = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
        names = [n for n in form["names"] if n != "csrfmiddlewaretoken"]
        found.append((unescape(form["action"]) or url, data, names))
    return found


def sweep_post(client, url: str, only: set[str] | None = None) -> list[str]:
    """GET ``url``, then for each of its POST forms, each field in turn given each bad
    value (alone, and next to the prefilled one); the failures, as readable lines."""
    page = client.get(url)
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    failures = []
    for action, data, names in post_forms(page.content.decode(), url):
        if only is not None and action not in only:
            continue
        for name in names:
            for value in POST_VALUES:
                # Next to the prefilled values too, for a field that has several (boxes).
                several = len(data.get(name, [])) > 1 or name in ("categories", "sale_modes")
                variants = [[value]] + ([data.get(name, []) + [value]] if several else [])
                for sent in variants:
                    response = client.post(action, {**data, name: sent})
                    if response.status_code >= 500:
                        failures.append(
                            f"POST {action} {name}={sent!r:.60} → {response.status_code}"
                        )
    return failures


@pytest.fixture
def post_sweep(listings, settings):
    settings.DEBUG = False
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    settings.TOUTPRES_RATE_LIMITS = {
        "PER_IP_PER_HOUR": 10**9,
        "PER_EMAIL_PER_HOUR": 10**9,
        "STEPS_PER_IP_PER_HOUR": 10**9,
    }
    return listings


def test_no_registration_step_answers_5xx_to_bad_posts(post_sweep):
    from directory.registration.steps import STEPS

    client = Client(raise_request_exception=False)
    register = reverse("directory:register")
    failures = sweep_post(client, register, {register})
    page = client.get(register).content.decode()
    data = next(data for action, data, _ in post_forms(page, register) if action == register)
    response = client.post(
        register,
        {
            **data,
            "name": "Ferme du Balayage",
            "kind": "producer",
            "commune_name": "Blois (41000)",
            "description": "d",
            "contact_name": "x",
            "contact_email": "sweep@example.org",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Actor.objects.get(registration_token=data["token"][0])
    for step in STEPS:  # « envoi » last: it sends the draft
        failures += sweep_post(client, reverse("directory:owner-step", args=[draft.pk, step.slug]))
    assert not failures, "Registration steps answered 5xx:\n" + "\n".join(failures[:40])


def test_no_owner_page_answers_5xx_to_bad_posts(post_sweep, django_user_model):
    from directory.registration.steps import EDITABLE

    owner = django_user_model.objects.create_user("owner@example.org", "owner@example.org")
    Actor.objects.filter(pk=post_sweep.pk).update(owner=owner)
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    failures = []
    for step in EDITABLE:
        failures += sweep_post(
            client, reverse("directory:owner-step", args=[post_sweep.pk, step.slug])
        )
    failures += sweep_post(client, reverse("directory:owner-home"))
    market = Actor.objects.get(kind=ActorKind.MARKET)
    failures += sweep_post(client, reverse("directory:claim", args=[market.slug]))
    assert not failures, "Owner pages answered 5xx:\n" + "\n".join(failures[:40])


def test_no_stranger_form_answers_5xx_to_bad_posts(post_sweep):
    client = Client(raise_request_exception=False)
    failures = []
    for url in (reverse("directory:owner-link"), reverse("directory:alerts")):
        failures += sweep_post(client, url)
    # The sign-in and link pages' forms hold tokens: forged ones, field by field.
    for url, data in (
        (reverse("directory:owner-login"), {"cle": "x", "next": "/mes-fiches/", "compte": "x"}),
        (reverse("directory:owner-link"), {"compte": "x", "next": "/mes-fiches/"}),
    ):
        for name in data:
            for value in POST_VALUES:
                response = client.post(url, {**data, name: value})
                if response.status_code >= 500:
                    failures.append(f"POST {url} {name}={value!r:.60} → {response.status_code}")
    assert not failures, "Stranger forms answered 5xx:\n" + "\n".join(failures[:40])
