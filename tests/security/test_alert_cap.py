"""A stranger who types someone's address cannot block their alerts, nor learn that they
subscribed: pending requests do not count towards the cap, and every answer is the same."""

import itertools
import re

import pytest

from directory.alerts import services
from directory.models import Alert

pytestmark = pytest.mark.django_db

VICTIM = "claire@example.org"
PLACES = ["Blois", "Tours", "Orléans", "Vierzon", "Chartres", "Bourges", "Châteauroux"]
RADII = ["5", "10", "20", "30", "50"]


@pytest.fixture(autouse=True)
def _no_hourly_limit(settings):
    # The hourly limit per address is another protection (tested elsewhere); here the
    # stranger is patient and comes back every hour.
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 0, "PER_EMAIL_PER_HOUR": 0}


def subscribe(client, email, place, radius, address="203.0.113.66"):
    data = {"email": email, "place": place, "radius_km": radius, "consent": "on"}
    return client.post("/alertes/", data, REMOTE_ADDR=address)


def page(response, email) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return html.replace(email, "X")


def confirm_link(message) -> str:
    return next(u for u in re.findall(r"https?://\S+", message.body) if "confirmer" in u)


def test_a_strangers_pending_requests_cannot_block_the_owner(client, territories, mailoutbox):
    combos = itertools.product(PLACES, RADII)
    for place, radius in itertools.islice(combos, 3 * services.MAX_ALERTS_PER_EMAIL):
        subscribe(client, VICTIM, place, radius)
    pending = Alert.objects.filter(email=VICTIM, confirmed_at__isnull=True).count()
    assert pending <= services.MAX_PENDING_PER_EMAIL, f"{pending} pending requests kept"
    # The owner asks for the alert she wants, from her own connection.
    mailoutbox.clear()
    response = subscribe(client, VICTIM, "Romorantin-Lanthenay", "10", address="192.0.2.10")
    assert response.status_code == 200, "the owner's own request was refused"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [VICTIM]
    path = confirm_link(mailoutbox[0]).split("8000", 1)[-1]
    client.post(path)
    assert Alert.objects.active().filter(email=VICTIM, place__startswith="Romorantin").exists(), (
        "the owner could not confirm her alert after a stranger's requests"
    )


def test_the_answer_is_the_same_whether_the_address_has_alerts_or_not(
    client, territories, mailoutbox
):
    combos = itertools.product(PLACES, RADII)
    for place, radius in itertools.islice(combos, services.MAX_ALERTS_PER_EMAIL):
        subscribe(client, VICTIM, place, radius)
    for message in list(mailoutbox):
        client.post(confirm_link(message).split("8000", 1)[-1])
    assert Alert.objects.active().filter(email=VICTIM).count() == services.MAX_ALERTS_PER_EMAIL
    # A stranger probes both addresses with the same request.
    known = subscribe(client, VICTIM, "Amboise", "20")
    unknown = subscribe(client, "personne@example.org", "Amboise", "20")
    assert known.status_code == unknown.status_code == 200, (
        known.status_code,
        unknown.status_code,
    )
    assert page(known, VICTIM) == page(unknown, "personne@example.org"), (
        "the page tells whether the address already has alerts"
    )
    # The cap still holds; the owner is told by e-mail, which only she reads.
    assert Alert.objects.active().filter(email=VICTIM).count() == services.MAX_ALERTS_PER_EMAIL
    told = [m for m in mailoutbox if m.to == [VICTIM]][-1]
    assert str(services.MAX_ALERTS_PER_EMAIL) in told.body and "désabonn" in told.body
    # Confirming one more pending request past the cap does not make an eleventh.
    for alert in Alert.objects.filter(email=VICTIM, confirmed_at__isnull=True):
        client.post(f"/alertes/{alert.token}/confirmer/")
    assert Alert.objects.active().filter(email=VICTIM).count() == services.MAX_ALERTS_PER_EMAIL
