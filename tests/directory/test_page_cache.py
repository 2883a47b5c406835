"""The page cache (directory.pagecache): anonymous pages served again while nothing they
show changed, and never a page that belongs to someone, or that the clock has outdated."""

import datetime
import gzip

import pytest
from django.urls import reverse

from directory import clock, pagecache
from directory.models import Actor, Article, ArticleKind, ArticleStatus, OpeningSlot, SearchDay
from directory.schedule import PARIS
from geodata.models import Commune

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

HEADER = pagecache.HEADER
SEARCH = {"where": "Olivet", "radius": "10"}


@pytest.fixture
def farm(make_actor, territories):
    return make_actor(name="La Chèvrerie", commune=Commune.objects.get(code="45232"))


def at(hour, minute=0, second=0, day=3):
    """A moment of a December day in Paris."""
    return datetime.datetime(2026, 12, day, hour, minute, second, tzinfo=PARIS)


def test_an_anonymous_search_is_served_again_from_the_cache(client, farm):
    first = client.get("/", SEARCH)
    assert first.status_code == 200 and first[HEADER] == "miss"
    again = client.get("/", {"radius": "10", "where": "Olivet"})  # same query, other order
    assert again[HEADER] == "hit", "the second identical search was rendered again"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Content-Language"] == "fr"
    assert "La Chèvrerie" in again.content.decode()
    # Compressed once, served compressed to the browsers that accept it.
    packed = client.get("/", SEARCH, headers={"Accept-Encoding": "gzip, br"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == first.content
    # The security headers are those of a fresh answer.
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert again["X-Content-Type-Options"] == "nosniff"


def test_the_listing_and_markets_pages_are_cached_too(client, farm):
    assert client.get(farm.get_absolute_url())[HEADER] == "miss"
    assert client.get(farm.get_absolute_url())[HEADER] == "hit"
    assert client.get(reverse("directory:markets"))[HEADER] == "miss"
    assert client.get(reverse("directory:markets"))[HEADER] == "hit"


def test_a_committed_write_shows_on_the_next_request(
    client, farm, django_capture_on_commit_callbacks
):
    client.get("/", SEARCH)
    client.get(farm.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        Actor.objects.filter(pk=farm.pk).update(name="La Chèvrerie d'Olivet")
    page = client.get("/", SEARCH)
    assert page[HEADER] == "miss", "a page from before the write was served"
    assert "La Chèvrerie d&#x27;Olivet" in page.content.decode()
    listing = client.get(farm.get_absolute_url())
    assert listing[HEADER] == "miss" and "Olivet" in listing.content.decode()


def test_a_new_portrait_shows_on_the_home_page_at_once(
    client, farm, django_capture_on_commit_callbacks
):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        article = Article.objects.create(
            title="Fenêtre sur la chèvrerie",
            slug="chevrerie",
            kind=ArticleKind.PORTRAIT,
            lead="Un chapô.",
            body="Un texte.",
            status=ArticleStatus.PUBLISHED,
            publish_at=clock.now() - datetime.timedelta(hours=1),
        )
    assert "Fenêtre sur la chèvrerie" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        article.actors.set([farm])
    assert "Fenêtre sur la chèvrerie" in client.get(farm.get_absolute_url()).content.decode()


def test_a_scheduled_portrait_appears_at_its_time(client, farm):
    clock.freeze(at(9, 58))
    Article.objects.create(
        title="Portrait programmé",
        slug="programme",
        kind=ArticleKind.PORTRAIT,
        lead="Un chapô.",
        body="Un texte.",
        status=ArticleStatus.PUBLISHED,
        publish_at=at(10),
    )
    assert "Portrait programmé" not in client.get("/").content.decode()
    clock.freeze(at(9, 59, 59))
    assert client.get("/")[HEADER] == "hit"
    clock.freeze(at(10, 0, 1))
    page = client.get("/")
    assert page[HEADER] == "miss" and "Portrait programmé" in page.content.decode()


def test_open_now_is_recomputed_each_minute(client, farm):
    OpeningSlot.objects.create(
        actor=farm, weekday=3, opens=datetime.time(10), closes=datetime.time(12)
    )  # Thursday 3 December 2026, 10:00–12:00
    query = {**SEARCH, "open": "now"}
    clock.freeze(at(9, 59, 5))
    assert "La Chèvrerie" not in client.get("/", query).content.decode()
    clock.freeze(at(9, 59, 55))
    assert client.get("/", query)[HEADER] == "hit"
    clock.freeze(at(10, 0, 5))
    page = client.get("/", query)
    assert page[HEADER] == "miss", "« ouvert maintenant » was served from the minute before"
    assert "La Chèvrerie" in page.content.decode()
    # Without « ouvert maintenant » the page holds until the end of the day.
    clock.freeze(at(23, 59, 30))
    assert client.get("/", SEARCH)[HEADER] == "miss"
    clock.freeze(at(23, 59, 59))
    assert client.get("/", SEARCH)[HEADER] == "hit"
    clock.freeze(at(0, 0, 1, day=4))
    assert client.get("/", SEARCH)[HEADER] == "miss", "yesterday's page was served today"


def test_languages_are_kept_apart(client, farm):
    french = client.get("/", SEARCH)
    english = client.get("/", SEARCH, headers={"Accept-Language": "en"})
    assert english["Content-Language"] == "en" and english[HEADER] == "miss"
    assert english.content != french.content
    assert client.get("/", SEARCH, headers={"Accept-Language": "en"})[HEADER] == "hit"
    assert client.get("/", SEARCH)["Content-Language"] == "fr"


def test_every_search_is_counted_for_the_staff_figures(client, farm):
    for _ in range(3):
        client.get("/", SEARCH)
    day = SearchDay.objects.get()
    assert day.searches == 3, "searches served from the page cache were not counted"


def test_public_pages_hold_no_csrf_token_and_set_no_cookie(client, farm):
    response = client.get("/", SEARCH)
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies, "a cached page would hand this cookie's token to others"
    # The language menu works without one, as the browser posts it.
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": "/?where=Olivet&radius=10"}
    )
    assert switched.status_code == 302 and switched["Location"] == "/?where=Olivet&radius=10"
    assert client.get("/", SEARCH)["Content-Language"] == "en"


def test_the_language_menu_sends_nowhere_else(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_signed_in_people_never_get_or_fill_the_cache(client, django_user_model, farm):
    client.get("/", SEARCH)  # an anonymous page is cached
    staff = django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    signed_in = client.get("/", SEARCH)
    assert HEADER not in signed_in, "a signed-in person got the anonymous page"
    assert "Se déconnecter" in signed_in.content.decode()
    client.logout()
    client.cookies.clear()
    anonymous = client.get("/", SEARCH)
    assert anonymous[HEADER] == "hit" and "Se déconnecter" not in anonymous.content.decode()


def test_an_owner_sees_their_unpublished_listing_never_cached(client, make_actor, territories):
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user("owner", email="o@example.org")
    listing = make_actor(name="Ferme en attente", status="pending", owner=owner)
    assert client.get(listing.get_absolute_url()).status_code == 404
    client.force_login(owner)
    page = client.get(listing.get_absolute_url())
    assert page.status_code == 200 and HEADER not in page
    client.logout()
    client.cookies.clear()
    assert client.get(listing.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"where": "Bloiss"},  # unknown place: a page all the same
        {"where": "Olivet", "radius": "abc"},  # invalid radius
    ],
)
def test_odd_queries_are_answered_the_same_from_the_cache(client, farm, query):
    first = client.get("/", query)
    again = client.get("/", query)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content


def test_errors_and_long_queries_are_not_kept(client, farm):
    assert client.get("/acteurs/nobody/").status_code == 404
    assert HEADER not in client.get("/acteurs/nobody/")
    long = {**SEARCH, "q": "x" * 1100}
    client.get("/", long)
    assert HEADER not in client.get("/", long), "a page of any query string was stored"


def test_the_cache_is_off_with_zero_seconds(client, farm, settings):
    settings.TOUTPRES_PAGE_CACHE_SECONDS = 0
    client.get("/", SEARCH)
    assert HEADER not in client.get("/", SEARCH)


def test_other_hosts_do_not_share_pages(client, farm, settings):
    settings.ALLOWED_HOSTS = ["testserver", "autre.example"]
    client.get(farm.get_absolute_url())
    other = client.get(farm.get_absolute_url(), HTTP_HOST="autre.example")
    assert other[HEADER] == "miss"
    assert "http://autre.example/acteurs/" in other.content.decode()


def test_embedded_maps_are_cached_framable_and_counted_on_every_load(client, farm):
    from directory.models import EmbedView

    query = {"where": "Olivet", "radius": "10", "controls": "search,list"}
    partner = {"Referer": "https://www.cc-blois.fr/carte"}
    first = client.get("/embed/", query, headers=partner)
    again = client.get("/embed/", query, headers=partner)
    assert first[HEADER] == "miss" and again[HEADER] == "hit"
    assert again.content == first.content and "La Chèvrerie" in again.content.decode()
    for response in (first, again):
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response, "a cached embed refuses to be framed"
    assert EmbedView.objects.get().views == 2, "a load served from the cache was not counted"
    english = client.get("/embed/", {**query, "lang": "en"}, headers=partner)
    assert english[HEADER] == "miss" and '<html lang="en"' in english.content.decode()
    # Invalid options: the error page, never cached.
    assert client.get("/embed/", {"controls": "<script>"}).status_code == 400
    assert HEADER not in client.get("/embed/", {"controls": "<script>"})
