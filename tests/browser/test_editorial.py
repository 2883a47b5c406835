"""An editor writes a portrait linked to two listings, previews it, schedules it; it appears
at its time (injectable clock, no sleeping) in the feed and on both listing pages."""

import datetime

import pytest

from directory import clock
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

NOW = datetime.datetime(2026, 5, 15, 10, 0, tzinfo=datetime.UTC)
# Scheduled for 16 May 2026 at 12:00 in Paris, which is 10:00 UTC (summer time).
PUBLISH_UTC = datetime.datetime(2026, 5, 16, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def listings(transactional_db):
    from django.contrib.gis.geos import Point

    from directory.models import Actor, ActorKind, ModerationStatus

    def make(name, kind, lon):
        return Actor.objects.create(
            name=name,
            kind=kind,
            status=ModerationStatus.PUBLISHED,
            location=Point(lon, 47.9, srid=4326),
            products="fromage de chèvre",
        )

    return [
        make("Chèvrerie des Aulnes", ActorKind.PRODUCER, 1.90),
        make("Fromagerie du Marché", ActorKind.SHOP, 1.95),
    ]


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield
    clock.thaw()


def pick(page, text, name):
    page.fill(".picker-search", text)
    page.get_by_role("button", name=f"{name} —").click()
    page.wait_for_selector(f".picker-chosen li:has-text('{name}')")


def test_write_preview_schedule_publish(page, browser, live_server, listings, editor, frozen):
    from directory.models import Article

    # 1. The editor writes a portrait, with a live preview, linked to two listings.
    sign_in(page, live_server, editor, "/admin/directory/article/add/")
    page.fill("#id_title", "La chèvrerie des Aulnes")
    page.press("#id_title", "Tab")
    assert page.input_value("#id_slug") == "la-chevrerie-des-aulnes"  # filled from the title
    page.select_option("#id_kind", "portrait")
    page.fill("#id_lead", "Soixante chèvres et un fromage primé.")
    page.fill("#id_body", "## Le troupeau\n\nDes chèvres **alpines**.")
    page.wait_for_selector("#markdown-preview h2:has-text('Le troupeau')")
    assert page.inner_html("#markdown-preview").count("<strong>alpines</strong>") == 1
    pick(page, "Chèvrerie", "Chèvrerie des Aulnes")
    pick(page, "Fromagerie", "Fromagerie du Marché")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    article = Article.objects.get(slug="la-chevrerie-des-aulnes")
    assert article.status == "draft"
    assert sorted(a.name for a in article.actors.all()) == [a.name for a in listings]

    # ... and previews it through the private link.
    preview_url = page.get_attribute('a:has-text("Voir l\'aperçu")', "href")
    anonymous = browser.new_context(locale="fr-FR")
    visitor = anonymous.new_page()
    visitor.goto(live_server.url + preview_url)
    assert "Aperçu" in visitor.inner_text(".preview-banner")
    assert visitor.inner_text("h1") == "La chèvrerie des Aulnes"
    cards = visitor.inner_text(".actor-cards")
    assert "Chèvrerie des Aulnes" in cards and "Fromagerie du Marché" in cards
    # Without the link, a visitor gets a 404.
    assert visitor.goto(live_server.url + article.get_absolute_url()).status == 404

    # 2. They schedule it for 16 May, 12:00 (Paris).
    page.select_option("#id_status", "published")
    page.fill("#id_publish_at_0", "16/05/2026")
    page.fill("#id_publish_at_1", "12:00:00")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    article.refresh_from_db()
    assert article.publish_at == PUBLISH_UTC and article.state == "scheduled"
    assert "Programmé" in page.inner_text(".field-state_label")

    # 3. Invisible before its time...
    clock.freeze(PUBLISH_UTC - datetime.timedelta(minutes=1))
    response = visitor.goto(live_server.url + article.get_absolute_url())
    assert response.status == 404
    visitor.goto(live_server.url + "/fenetre-sur/")
    assert "La chèvrerie des Aulnes" not in visitor.inner_text("main")

    # ... visible after it.
    clock.freeze(PUBLISH_UTC + datetime.timedelta(minutes=1))
    response = visitor.goto(live_server.url + article.get_absolute_url())
    assert response.status == 200 and not visitor.locator(".preview-banner").count()
    visitor.goto(live_server.url + "/fenetre-sur/")
    visitor.click("text=La chèvrerie des Aulnes")
    visitor.wait_for_url("**/fenetre-sur/la-chevrerie-des-aulnes/")

    # 4. In the feed and on both listing pages.
    feed = visitor.request.get(live_server.url + "/fenetre-sur/atom.xml").text()
    assert "La chèvrerie des Aulnes" in feed
    for listing in listings:
        visitor.goto(live_server.url + listing.get_absolute_url())
        seen = visitor.locator(".seen-in")
        assert "Vu dans Fenêtre sur…" in seen.inner_text()
        seen.get_by_role("link", name="La chèvrerie des Aulnes").click()
        visitor.wait_for_url("**/fenetre-sur/la-chevrerie-des-aulnes/")
    assert page.console_errors == [] and page.external_requests == []
    anonymous.close()
