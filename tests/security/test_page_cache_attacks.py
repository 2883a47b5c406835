"""Attacks on the page cache (directory.pagecache): what a stranger with a browser and curl
can make another visitor receive, or learn about another visitor, through it."""

import pytest

from directory.models import ImportSource
from directory.pagecache import HEADER
from geodata.models import Commune

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture
def farm(make_actor, territories):
    return make_actor(name="La Chèvrerie", commune=Commune.objects.get(code="45232"))


# --- Stale public data: writes that do not move the data version ------------------------


def test_import_source_licence_change_shows_on_the_listing(
    client, farm, django_capture_on_commit_callbacks
):
    """The listing page prints its import source's name, licence and licence link, but
    ImportSource is not in dataversion.watched_models(): a corrected licence (or a source
    renamed at a partner's request) is hidden behind the cached page."""
    with django_capture_on_commit_callbacks(execute=True):
        source = ImportSource.objects.create(
            name="Chambre d'agriculture", slug="ca", licence="Licence Ouverte 2.0"
        )
        farm.import_source = source
        farm.save()
    first = client.get(farm.get_absolute_url())
    assert "Licence Ouverte 2.0" in first.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        source.licence = "ODbL 1.0"
        source.licence_url = "https://opendatacommons.org/licenses/odbl/"
        source.save()
    page = client.get(farm.get_absolute_url())
    assert "ODbL 1.0" in page.content.decode(), (
        "the listing still shows the former licence (ImportSource does not bump the data version)"
    )


def test_commune_rename_shows_on_the_listing(client, farm, django_capture_on_commit_callbacks):
    """Listing and result pages print commune (and département) names; a Commune edited
    outside a territories import (admin, shell) bumps nothing."""
    client.get(farm.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        commune = Commune.objects.get(code="45232")
        commune.name = "Olivet-sur-Loiret"
        commune.save()
    page = client.get(farm.get_absolute_url())
    assert "Olivet-sur-Loiret" in page.content.decode(), (
        "the listing still shows the commune's former name"
    )


# --- Another visitor's activity, learnt by probing the cache ----------------------------


@pytest.mark.parametrize(
    "victim",
    [
        {"where": "8 rue Denis Papin, Olivet", "radius": "5"},  # a street address
        {"near": "47.8631,1.8997", "radius": "5"},  # « autour de moi »: a position
    ],
)
def test_a_stranger_cannot_learn_what_someone_else_searched(client, farm, monkeypatch, victim):
    """A search around an address or a position is keyed by its query string: kept, it
    would tell a stranger who guesses that address (by the header, or by how fast the
    answer comes) that somebody searched around it in the last minutes."""
    from directory import search
    from geodata.geocoding.base import GeocodeResult

    address = GeocodeResult(
        47.8631, 1.8997, "8 Rue Denis Papin 45160 Olivet", "45232", "housenumber", "ban"
    )
    gazetteer = search.geocode
    monkeypatch.setattr(search, "geocode", lambda t: address if "rue" in t else gazetteer(t))
    client.get("/", victim)  # the victim's search
    client.cookies.clear()
    probe = client.get("/", victim)  # the stranger's guess
    assert "La Chèvrerie" in probe.content.decode()
    assert HEADER not in probe, (
        f"X-Page-Cache: {probe[HEADER]} tells a stranger whether this search was made"
    )
    # A town is not anyone's: a search around Olivet is kept, for everyone.
    client.get("/", {"where": "Olivet", "radius": "5"})
    assert client.get("/", {"where": "Olivet", "radius": "5"})[HEADER] == "hit"


# --- Headers of a cached answer ---------------------------------------------------------


def test_a_hit_varies_on_cookie_like_a_fresh_answer(client, farm):
    """A fresh page (the template reads request.user, so the session is accessed) carries
    ``Vary: Cookie``; the same page from the cache does not, so a shared cache or browser
    may hand the anonymous copy to a signed-in visitor, or the reverse."""
    miss = client.get(farm.get_absolute_url())
    hit = client.get(farm.get_absolute_url())
    assert hit[HEADER] == "hit"
    miss_vary = {v.strip().lower() for v in miss.get("Vary", "").split(",") if v.strip()}
    hit_vary = {v.strip().lower() for v in hit.get("Vary", "").split(",") if v.strip()}
    assert miss_vary - {"accept-encoding"} <= hit_vary, (
        f"fresh Vary {sorted(miss_vary)}, cached Vary {sorted(hit_vary)}"
    )


# --- The language menu without CSRF token -------------------------------------------------


def test_another_site_cannot_switch_a_visitors_language(client, farm):
    """/i18n/setlang/ is csrf_exempt so that cached pages hold no token: any site can then
    post a hidden form that switches a visitor's language (they read the whole site in a
    language they did not choose until they find the menu). Origin / Sec-Fetch-Site still
    tell a cross-site post apart, without any token in the page."""
    response = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert "django_language" not in response.cookies, (
        "a cross-site post switched the visitor's language"
    )


# --- Unpublished listings on public pages (not the cache's doing, kept by it) -----------


def test_a_producer_page_does_not_name_an_unpublished_market(client, make_actor, territories):
    """The listing page lists its selling places from ``distribution_links`` without any
    status filter (``supplier_links`` has one): a pending or rejected market's name and
    commune are printed on a published producer's page, which the cache then serves to all."""
    from directory.models import ActorKind, DistributionLink, ModerationStatus

    olivet = Commune.objects.get(code="45232")
    farm = make_actor(name="La Chèvrerie", commune=olivet)
    market = make_actor(
        name="Marché secret en attente",
        kind=ActorKind.MARKET,
        status=ModerationStatus.PENDING,
        commune=olivet,
    )
    DistributionLink.objects.create(actor=farm, place=market, weekday=5)
    page = client.get(farm.get_absolute_url())
    assert page.status_code == 200
    assert client.get(market.get_absolute_url()).status_code == 404
    assert "Marché secret en attente" not in page.content.decode(), (
        "a listing the public may not see is named (and linked) on a public page"
    )


def test_the_sites_own_language_menu_still_works(client, farm):
    for headers in (
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {},  # a browser that sends neither header
    ):
        client.cookies.clear()
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, headers=headers)
        assert response.status_code == 302 and "django_language" in response.cookies
    refused = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/"}, headers={"Origin": "null"}
    )
    assert refused.status_code == 403 and "django_language" not in refused.cookies
