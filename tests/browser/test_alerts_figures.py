"""A consumer on a phone sets up a « Nouveau près de chez moi » alert and confirms it from
the e-mail; a member of staff reads the figures page and downloads a CSV."""

import csv
import io
import re

import pytest
from django.core import mail

from directory.figures.counting import flush_page_views
from directory.models import Alert, PageViewDay, SearchDay
from tests.browser.helpers import local, sign_in

pytestmark = pytest.mark.browser

CONFIRM = re.compile(r"https?://\S+/alertes/[0-9a-f-]+/confirmer/")


def test_alert_on_a_phone_from_form_to_confirmation(page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/alertes/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Sent empty: every error is said next to its field, nothing is created.
    page.click("main button[type=submit]")
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    assert Alert.objects.count() == 0
    # The refused form is answered with a 400, which the browser reports; nothing else.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_errors.clear()

    page.get_by_label("Votre e-mail").fill("Jeanne@Example.org")
    page.get_by_label("Autour de").fill("45160")
    page.get_by_label("Dans un rayon de").select_option("10")
    page.get_by_label("Fromages et produits laitiers").check()
    page.get_by_label(re.compile("J'accepte de recevoir")).check()
    page.click("main button[type=submit]")
    assert "jeanne@example.org" in page.get_by_role("status").inner_text().lower()

    alert = Alert.objects.get()
    assert (alert.email, alert.radius_km, alert.confirmed_at) == ("jeanne@example.org", 10, None)
    assert alert.place.startswith("Olivet")
    assert list(alert.categories.values_list("slug", flat=True)) == ["fromage-laitier"]
    (message,) = mail.outbox
    # Following the link shows a button: mail scanners that open links confirm nothing.
    page.goto(local(live_server, CONFIRM.search(message.body).group(0)))
    alert.refresh_from_db()
    assert alert.confirmed_at is None
    page.get_by_role("button", name="Je confirme").click()
    assert "moins de 10 km" in page.get_by_role("status").inner_text()
    alert.refresh_from_db()
    assert alert.confirmed_at is not None
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.console_errors == [] and page.external_requests == []


def test_figures_page_charts_tables_and_csv(page, live_server, editor):
    # A headless browser is a robot for the figures: not counted.
    page.goto(live_server.url + "/")
    flush_page_views()
    assert not PageViewDay.objects.exists()
    # Two public pages and a search that finds nothing, as visitors make them.
    page.set_extra_http_headers(
        {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
        }
    )
    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/?q=caviar&where=45160")
    flush_page_views()  # counted in the cache, written to the table in batches
    assert sum(PageViewDay.objects.values_list("views", flat=True)) == 2
    assert SearchDay.objects.get(product="caviar").empty == 1

    sign_in(page, live_server, editor, "/staff/chiffres/")

    # Each chart is an image with a text alternative, next to a table of the same figures.
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 2
    for i in range(charts.count()):
        title = charts.nth(i).get_attribute("aria-labelledby")
        assert page.locator(f"[id='{title}']").text_content().strip()
    assert "caviar" in page.locator("main").inner_text()

    with page.expect_download() as download:
        page.locator("a[href*='/recherches-sans-resultat.csv?']").click()
    rows = list(
        csv.reader(
            io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"
        )
    )
    assert any("caviar" in cell for row in rows[1:] for cell in row)
    assert page.console_errors == [] and page.external_requests == []
