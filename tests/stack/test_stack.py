"""The production stack as an operator deploys it (deploy/): nginx in front of gunicorn,
DEBUG off, the static files collected with hashed names, on the test PostGIS."""

import gzip
import json
import re
from urllib.parse import urlparse

import pytest

from tests.stack.http import StackClient

pytestmark = pytest.mark.browser

HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture
def client(stack_url, insecure_tls):
    return StackClient(stack_url, insecure_tls)


def static_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))


def test_pages_are_styled_and_the_map_and_search_work(stack_page, stack_url):
    page = stack_page
    static = []
    page.on(
        "response",
        lambda r: static.append((r.url, r.status)) if "/static/" in r.url else None,
    )
    page.goto(stack_url + "/")
    header = page.evaluate(
        "() => getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert header == "rgb(47, 107, 47)", f"site.css did not apply (header {header})"
    page.locator(".leaflet-container").first.wait_for(state="visible")
    assert page.evaluate("() => typeof L !== 'undefined' && L.version.length > 0"), (
        "leaflet.js did not load"
    )
    page.locator(".leaflet-marker-icon").first.wait_for(state="attached")

    page.fill("#id_where", "Blois")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**where=Blois**")
    assert page.locator("#result-list .result").count() > 0, "the search found nothing"
    page.locator(".leaflet-marker-icon.marker").first.wait_for(state="attached")

    assert static, "no static file was requested"
    broken = [(url, status) for url, status in static if status != 200]
    assert not broken, f"static files not served: {broken}"
    unhashed = [url for url, _ in static if not HASHED.search(urlparse(url).path)]
    assert not unhashed, f"static files without a content hash in their name: {unhashed}"
    assert page.console_errors == [], page.console_errors
    assert page.external_requests == [], page.external_requests


def test_static_files_have_hashed_names_and_far_future_caching(client):
    home = client.get("/")
    assert home.status == 200
    urls = static_urls(home.text)
    assert any("/static/css/site." in u for u in urls), urls
    assert any("/static/leaflet/leaflet." in u and u.endswith(".js") for u in urls), urls
    for url in urls:
        assert HASHED.search(url), f"{url}: no content hash in the name"
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200, f"{url}: {answer.status}"
        assert answer.max_age() >= ONE_YEAR, f"{url}: Cache-Control {answer.cache_control()!r}"
        assert "immutable" in answer.cache_control(), url
        assert answer.headers.get("Server", "").startswith("nginx"), url
        assert "Content-Security-Policy" not in answer.headers, f"{url} came through Django"


def test_favicon_comes_from_nginx(client):
    answer = client.get("/favicon.ico")
    assert answer.status == 200
    assert answer.headers.get("Content-Type") == "image/x-icon"
    assert "Content-Security-Policy" not in answer.headers, "/favicon.ico reached Django"


def test_the_health_check_answers_through_nginx(client):
    answer = client.get("/sante/")
    assert answer.status == 200, answer.text
    assert json.loads(answer.text) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok"},
    }
    assert "no-store" in answer.cache_control()


def test_plain_http_redirects_to_https(stack_http_url, stack_url, insecure_tls):
    answer = StackClient(stack_http_url, insecure_tls).get("/marches/?jour=samedi")
    assert answer.status == 301
    assert answer.headers["Location"] == stack_url + "/marches/?jour=samedi"


def test_debug_is_off(client):
    answer = client.get("/cette-page-n-existe-pas/")
    assert answer.status == 404
    assert "Page introuvable" in answer.text, "not our French 404 page"
    for debug in ("URLconf", "Traceback", "DEBUG = True", "Django tried these URL patterns"):
        assert debug not in answer.text, f"Django's debug page: {debug!r}"
    assert "Server" not in answer.headers or "/" not in answer.headers["Server"], (
        "nginx tells its version"
    )


def test_public_pages_are_served_again_from_the_page_cache(client):
    # Each gunicorn worker keeps its own pages: asked often enough, one answers from memory.
    path = "/?where=Orl%C3%A9ans&radius=20"
    answers = [client.get(path, headers={"Accept-Encoding": "gzip"}) for _ in range(15)]
    assert all(a.status == 200 for a in answers), [a.status for a in answers]
    states = [a.headers.get("X-Page-Cache") for a in answers]
    assert "hit" in states, f"no page came from the page cache: {states}"
    bodies = {a.body for a in answers if a.headers.get("Content-Encoding") == "gzip"}
    assert len({gzip.decompress(b) for b in bodies}) == 1, "the cached page differs"
    assert not any(a.headers.get_all("Set-Cookie") for a in answers), "a public page set a cookie"
    assert all("Content-Security-Policy" in a.headers for a in answers)
