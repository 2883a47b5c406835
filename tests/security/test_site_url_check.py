"""Links written outside a request (e-mails, open data files, downloaded maps, import
reports) come from SITE_URL: a production server left with the default address sent
every owner a link to http://127.0.0.1:8000. `check --deploy` says so (directory.W030)."""

import pytest

from directory.site_address import check_site_url


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://127.0.0.1:8000", "this machine"),
        ("https://localhost", "this machine"),
        ("https://[::1]", "this machine"),
        ("http://toutpres.example.fr", "not https"),
        ("https://autre.example", "ALLOWED_HOSTS"),
        ("", "this machine"),
    ],
)
def test_a_site_url_that_is_not_the_public_address_is_reported(settings, url, says):
    settings.ALLOWED_HOSTS = ["toutpres.example.fr"]
    settings.TOUTPRES_SITE_URL = url
    warnings = check_site_url(None)
    assert [w.id for w in warnings] == ["directory.W030"], url
    assert says in warnings[0].msg, warnings[0].msg


@pytest.mark.parametrize("allowed", [["toutpres.example.fr"], [".example.fr"], ["*"]])
def test_the_public_https_address_passes(settings, allowed):
    settings.ALLOWED_HOSTS = allowed
    settings.TOUTPRES_SITE_URL = "https://toutpres.example.fr"
    assert check_site_url(None) == []
