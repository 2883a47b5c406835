"""The site's own map layer and place suggestions have their own quota, apart from the
public API's, and a throttled answer says so (429 + Retry-After) to the page, which tells
the visitor instead of failing silently."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

BBOX = {"bbox": "1.2,47.5,1.5,47.7", "zoom": "12"}


@pytest.fixture
def small_quotas(settings):
    settings.TOUTPRES_API_RATE = "3/minute"
    settings.TOUTPRES_SITE_RATE = "5/minute"


def test_the_layer_is_rate_limited(client, small_quotas, territories):
    for _ in range(5):
        assert client.get("/api/v1/layer/", BBOX).status_code == 200
    response = client.get("/api/v1/layer/", BBOX)
    assert response.status_code == 429, "the map layer has no rate limit"
    # A sliding window: at most the rest of this minute and part of the next.
    assert 0 < int(response["Retry-After"]) <= 120
    assert response["Cache-Control"] == "no-store"
    assert "Trop de requêtes" in response.json()["detail"]


def test_the_sites_suggestions_do_not_spend_the_public_api_quota(client, small_quotas, territories):
    # Someone on the same shared address uses up the public API.
    for _ in range(3):
        assert client.get("/api/v1/places/", {"q": "blo"}).status_code == 200
    assert client.get("/api/v1/places/", {"q": "blo"}).status_code == 429
    # The search page's suggestions still work: the page asks its own address for them.
    page = client.get("/")
    suggestions = reverse("directory:site-places")
    assert f'"placesUrl": "{suggestions}"' in page.content.decode(), "the page uses the API"
    for _ in range(5):
        response = client.get(suggestions, {"q": "blo", "limit": "8"})
        assert response.status_code == 200, "suggestions were throttled by the API quota"
        assert any(r["name"] == "Blois" for r in response.json()["results"])
    throttled = client.get(suggestions, {"q": "blo"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    # The public API's answer to the same address is still its own 429, with its rate.
    api = client.get("/api/v1/places/", {"q": "blo"})
    assert api.status_code == 429 and "3/minute" in api.json()["detail"]
    assert "5/minute" in throttled.json()["detail"]


def test_the_search_page_tells_the_visitor_when_suggestions_are_throttled(client, territories):
    html = client.get("/").content.decode()
    assert "suggestionsThrottled" in html, "no message for the page to show on a 429"
