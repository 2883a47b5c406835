"""An owner signs in with an e-mailed link in a real browser, signs out, and a spent link
offers a fresh one in one click."""

import re

import pytest
from django.core import mail

from tests.browser.helpers import local, sign_in_by_link

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/mes-fiches/connexion/\S+")


@pytest.fixture
def owned(transactional_db, django_user_model):
    from django.contrib.gis.geos import Point

    from directory.models import Actor, ActorKind, ModerationStatus

    owner = django_user_model.objects.create_user("marie@example.org", "marie@example.org")
    return Actor.objects.create(
        name="Chèvrerie des Aulnes",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        location=Point(1.9, 47.85, srid=4326),
        owner=owner,
    )


def test_sign_in_by_link_then_sign_out(page, live_server, owned):
    # « Mes fiches » while signed out: the link request form.
    page.goto(live_server.url + "/mes-fiches/")
    page.fill("#id_email", "marie@example.org")
    page.click("main button.button[type=submit]")
    assert "Regardez vos e-mails" in page.locator("main").inner_text()
    (message,) = mail.outbox
    (url,) = LINK.findall(message.body)

    # Opening the link signs nobody in; the button does.
    page.goto(local(live_server, url))
    assert "Se connecter à Tout Près" in page.locator("main").inner_text()
    assert page.locator("header .sign-out").count() == 0
    page.click("main button:has-text('Me connecter')")
    page.wait_for_url("**/mes-fiches/")
    assert "Chèvrerie des Aulnes" in page.locator("main").inner_text()

    # « Se déconnecter » in the header of the owner's pages.
    page.goto(live_server.url + f"/mes-fiches/{owned.pk}/quand/")
    page.click("header .sign-out button")
    page.wait_for_url(live_server.url + "/")
    assert "Vous êtes déconnecté" in page.locator("main").inner_text()
    page.goto(live_server.url + "/mes-fiches/")
    assert "Gérer mes fiches" in page.locator("main").inner_text()

    # The same link again (another browser): spent, and a fresh one is one click away.
    other = page.context.browser.new_context(locale="fr-FR").new_page()
    other.goto(local(live_server, url))
    assert "Ce lien n'est plus valable" in other.locator("main").inner_text()
    assert "marie@example.org" not in other.content()
    other.click("main button:has-text('Recevoir un nouveau lien')")
    assert "Regardez vos e-mails" in other.locator("main").inner_text()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["marie@example.org"]
    sign_in_by_link(other, live_server, LINK.findall(mail.outbox[1].body)[0])
    other.wait_for_url("**/mes-fiches/")
    assert other.locator("header .sign-out").count() == 1
    other.context.close()
    assert page.external_requests == [] and page.console_errors == []
