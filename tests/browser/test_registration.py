"""The whole path in a real browser: register with a dragged pin, confirm by e-mail,
moderation, on the map, then the owner's own edits."""

import re

import pytest
from django.core import mail

from tests.browser.helpers import local, sign_in

pytestmark = pytest.mark.browser

# The e-mail confirming a registration: a sign-in link, or the draft's own confirmation link.
LINK = re.compile(r"https?://\S+/(?:mes-fiches/connexion|inscription/confirmer)/\S+")


@pytest.fixture
def olivet_market(transactional_db):
    from django.contrib.gis.geos import Point

    from directory.models import Actor, ActorKind, ModerationStatus
    from geodata.models import Commune

    return Actor.objects.create(
        name="Marché d'Olivet",
        kind=ActorKind.MARKET,
        status=ModerationStatus.PUBLISHED,
        commune=Commune.objects.get(code="45232"),
        location=Point(1.9, 47.87, srid=4326),
    )


def test_register_confirm_moderate_publish_then_edit(page, live_server, olivet_market, moderator):
    from directory.models import Actor, ChangeRequest, ModerationStatus

    # 1. Register, dragging the pin to the farm.
    page.goto(live_server.url + "/inscription/")
    page.fill("#id_name", "Chèvrerie des Aulnes")
    page.check("input[name=kind][value=producer]")
    page.fill("#id_commune_name", "Olivet (45160)")
    page.fill("#id_description", "Fromages de chèvre fermiers.")
    page.fill("#id_contact_name", "Marie Dupont")
    page.fill("#id_contact_email", "marie@example.org")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/quoi/")
    page.check("input[name=categories] >> nth=4")
    page.fill("#id_products", "Crottins, yaourts")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/ou/")
    page.fill("#id_address", "12 chemin des Aulnes")
    pin = page.locator(".leaflet-marker-icon")
    pin.wait_for()
    pin.scroll_into_view_if_needed()
    before = (page.input_value("#id_latitude"), page.input_value("#id_longitude"))
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 25, steps=8)
    page.mouse.up()
    after = (page.input_value("#id_latitude"), page.input_value("#id_longitude"))
    assert after != before and float(after[0]) < float(before[0])  # dragged south-east
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/quand/")
    page.select_option("#id_slots-0-weekday", "5")
    page.fill("#id_slots-0-opens", "09:00")
    page.fill("#id_slots-0-closes", "12:00")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/comment/")
    page.select_option("#id_links-0-place", label="Marché d'Olivet")
    page.select_option("#id_links-0-weekday", "5")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/contacts/")
    page.fill("#id_phone", "02 38 00 00 00")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/envoi/")
    page.check("#id_consent")
    page.click("main button.button[type=submit]")
    page.wait_for_url("**/envoyee/")
    assert "Dernière étape" in page.locator("main").inner_text()
    actor = Actor.objects.get(name="Chèvrerie des Aulnes")
    assert float(after[0]) == pytest.approx(actor.location.y, abs=1e-5)

    # 2. The e-mail and its link (a fresh browser: the link alone is enough).
    confirm = mail.outbox[-1]
    assert confirm.to == ["marie@example.org"]
    owner_page = page.context.browser.new_context(locale="fr-FR").new_page()
    owner_page.route("**/*.png", lambda r: r.fulfill(status=200, body=b""))
    owner_page.goto(local(live_server, LINK.findall(confirm.body)[0]))
    # Opening the link changes nothing (mail scanners open links); its button does.
    owner_page.click("main button[type=submit]")
    owner_page.wait_for_load_state()
    assert "transmise à l'équipe de modération" in owner_page.locator("main").inner_text()

    # 3-4. In the queue; a moderator approves it.
    page.context.clear_cookies()
    sign_in(page, live_server, moderator, "/moderation/")
    page.click("text=Chèvrerie des Aulnes")
    page.click("button[value=approve]")
    page.wait_for_url("**/moderation/")
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.PUBLISHED

    # 5. On the map and in the list.
    page.context.clear_cookies()
    page.goto(live_server.url + "/?where=Olivet&radius=10")
    assert "Chèvrerie des Aulnes" in page.locator("#result-list").inner_text()
    assert page.locator(".leaflet-marker-icon.marker[title='Chèvrerie des Aulnes']").count() == 1

    # 6. The owner adds Wednesday afternoons: live at once.
    owner_page.goto(live_server.url + f"/mes-fiches/{actor.pk}/quand/")
    owner_page.select_option("#id_slots-1-weekday", "2")
    owner_page.fill("#id_slots-1-opens", "16:00")
    owner_page.fill("#id_slots-1-closes", "19:00")
    owner_page.click("main button.button[type=submit]")
    owner_page.wait_for_url("**/mes-fiches/")
    page.goto(live_server.url + actor.get_absolute_url())
    assert "Mercredi 16h00–19h00" in page.locator("main").inner_text()

    # 7. Moving the pin goes back to review; the public keeps the reviewed position.
    owner_page.goto(live_server.url + f"/mes-fiches/{actor.pk}/ou/")
    owner_page.fill("#id_latitude", "47.8700")
    owner_page.fill("#id_longitude", "1.9200")
    owner_page.click("main button.button[type=submit]")
    owner_page.wait_for_url("**/mes-fiches/")
    assert "vérifiés avant publication" in owner_page.locator("main").inner_text()
    assert ChangeRequest.objects.filter(actor=actor, status="pending").count() == 1
    actor.refresh_from_db()
    assert actor.location.y == pytest.approx(float(after[0]), abs=1e-5)
    assert page.external_requests == [] and page.console_errors == []
