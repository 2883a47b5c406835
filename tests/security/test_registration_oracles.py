"""The registration pages tell a stranger nothing private about other listings.

A registrant is anonymous: whatever the duplicate notice (« Cette ferme est peut-être déjà
sur Tout Près ») shows must follow from public data only. Red-team findings: the notice
was an oracle on a home-based producer's house (bisection of the typed pin against a
1 km circle around the private position) and mapped a private contact e-mail or phone to
a listing in any status. Also: the registration steps are throttled per client, and the
draft confirmation link adopts a draft only for the address it was sent to.
"""

import re

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.test import Client
from django.urls import reverse

from directory.models import Actor, ActorKind, ModerationStatus
from directory.registration import services
from geodata.models import Commune

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="token" value="([^"]+)"')
HOUSE = (47.6123, 1.2801)  # lat, lon of a home-based producer: private


@pytest.fixture
def offline(settings, territories):
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}


def start(client, name, email="registrant@example.net", phone="", commune="Blois (41000)"):
    """Step one exactly as the browser posts it."""
    page = client.get(reverse("directory:register"))
    token = TOKEN.search(page.content.decode()).group(1)
    response = client.post(
        reverse("directory:register"),
        {
            "token": token,
            "name": name,
            "kind": ActorKind.PRODUCER,
            "commune_name": commune,
            "description": "x",
            "contact_name": "x",
            "contact_email": email,
            "contact_phone": phone,
            "company_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Actor.objects.get(registration_token=token)


def set_pin(client, draft, lat, lon):
    response = client.post(
        reverse("directory:owner-step", args=[draft.pk, "ou"]),
        {
            "address": "",
            "postal_code": "41000",
            "commune_name": "Blois (41000)",
            "latitude": f"{lat:.7f}",
            "longitude": f"{lon:.7f}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]


def notice(client, draft, step="envoi") -> str:
    return client.get(reverse("directory:owner-step", args=[draft.pk, step])).content.decode()


def test_duplicate_notice_is_no_oracle_on_a_private_position(offline):
    blois = Commune.objects.get(code="41018")
    victim = Actor.objects.create(
        name="Les Ruches de Marcel",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=blois,
        postal_code="41000",
        location=Point(HOUSE[1], HOUSE[0], srid=4326),
        location_is_approximate=True,
    )
    victim.refresh_from_db()
    pin = victim.public_location
    client = Client()
    draft = start(client, "Ruches de Marcel")
    answers = {}
    # At the house, at the public pin, and on the 1 km circle around the house either side.
    for label, (lat, lon) in {
        "house": HOUSE,
        "pin": (pin.y, pin.x),
        "east of house": (HOUSE[0], HOUSE[1] + 0.0125),
        "west of house": (HOUSE[0], HOUSE[1] - 0.0125),
        "north of house": (HOUSE[0] + 0.0085, HOUSE[1]),
    }.items():
        set_pin(client, draft, lat, lon)
        page = notice(client, draft)
        answers[label] = "Les Ruches de Marcel" in page
        assert "1 km" not in page, f"the notice names a distance to the listing ({label})"
    assert len(set(answers.values())) == 1, (
        f"the duplicate notice depends on where the typed pin is relative to the private "
        f"house: {answers}"
    )


@pytest.mark.parametrize(
    "status",
    [
        ModerationStatus.PUBLISHED,
        ModerationStatus.PENDING,
        ModerationStatus.REJECTED,
        ModerationStatus.UNPUBLISHED,
        ModerationStatus.STALE,
    ],
)
@pytest.mark.parametrize("field", ["email", "phone"])
def test_duplicate_notice_never_matches_a_private_contact(offline, status, field):
    blois = Commune.objects.get(code="41018")
    Actor.objects.create(
        name="Cabinet secret",
        kind=ActorKind.PRODUCER,
        status=status,
        commune=blois,
        postal_code="41000",
        location=Point(1.33, 47.59, srid=4326),
        contact_email="marcel.private@example.org",
        contact_phone="06 99 88 77 66",
    )
    client = Client()
    if field == "email":
        draft = start(client, "Zzz", "marcel.private@example.org", commune="Orléans")
    else:
        draft = start(client, "Yyy", "someone@example.net", phone="0699887766", commune="Orléans")
    for step in ("qui", "envoi"):
        assert "Cabinet secret" not in notice(client, draft, step), (
            f"the registrant's notice ({step}) ties a private contact {field} to a {status} listing"
        )


def test_unpublished_lookalike_is_not_shown(offline):
    blois = Commune.objects.get(code="41018")
    Actor.objects.create(
        name="Ferme des Glycines",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PENDING,
        commune=blois,
        location=Point(1.335, 47.586, srid=4326),
        phone="02 54 00 00 01",
    )
    client = Client()
    draft = start(client, "Ferme des Glycines", phone="02 54 00 00 01")
    assert "Ferme des Glycines</a>" not in notice(client, draft, "qui"), (
        "a listing nobody may see yet is revealed to a registrant"
    )


def test_public_lookalike_is_offered_to_claim(offline):
    blois = Commune.objects.get(code="41018")
    farm = Actor.objects.create(
        name="Ferme des Glycines",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=blois,
        location=Point(1.335, 47.586, srid=4326),
        phone="02 54 00 00 01",
        location_is_approximate=True,
    )
    for kwargs in ({"name": "Glycines"}, {"name": "Zzz", "phone": "+33 2 54 00 00 01"}):
        client = Client()
        draft = start(client, **kwargs)
        page = notice(client, draft, "qui")
        assert farm.get_absolute_url() in page, f"no notice for a public lookalike {kwargs}"
        assert reverse("directory:claim", args=[farm.slug]) in page, "no claim link offered"


def test_moderators_still_see_private_duplicates(offline, admin_user):
    blois = Commune.objects.get(code="41018")
    other = Actor.objects.create(
        name="Cabinet secret",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PENDING,
        commune=blois,
        location=Point(HOUSE[1], HOUSE[0], srid=4326),
        location_is_approximate=True,
        contact_email="marcel.private@example.org",
    )
    client = Client()
    draft = start(client, "Zzz", "marcel.private@example.org")
    staff = Client()
    staff.force_login(admin_user)
    page = staff.get(reverse("directory:moderation-actor", args=[draft.pk])).content.decode()
    assert reverse("directory:moderation-actor", args=[other.pk]) in page, (
        "the moderation page lost the full duplicate detection"
    )


def test_registration_steps_are_throttled_per_client(offline, settings):
    settings.TOUTPRES_RATE_LIMITS = {**settings.TOUTPRES_RATE_LIMITS, "STEPS_PER_IP_PER_HOUR": 5}
    client = Client()
    draft = start(client, "Ferme du Test")
    codes = []
    for _ in range(7):
        response = client.post(
            reverse("directory:owner-step", args=[draft.pk, "ou"]),
            {
                "address": "",
                "postal_code": "41000",
                "commune_name": "Blois (41000)",
                "latitude": "47.6",
                "longitude": "1.3",
            },
        )
        codes.append(response.status_code)
    assert codes[:5] == [302] * 5, codes
    assert codes[5:] == [429, 429], f"step POSTs are not throttled per client: {codes}"


def _confirm_path(email_index=-1) -> str:
    body = mail.outbox[email_index].body
    link = next(u for u in re.findall(r"https?://\S+", body) if "/inscription/confirmer/" in u)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_confirmation_race_does_not_sign_in_as_another_owner(
    offline, django_user_model, monkeypatch
):
    victim = django_user_model.objects.create_user("victim@example.org", "victim@example.org")
    victim.set_unusable_password()
    victim.save()
    Actor.objects.create(
        name="Ferme de la victime",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=Commune.objects.get(code="41018"),
        location=Point(1.33, 47.59, srid=4326),
        owner=victim,
    )
    attacker = Client()
    draft = start(attacker, "Leurre", "attacker@example.net")
    path = _confirm_path()
    second = Client()
    second.cookies = attacker.cookies  # the same session, a concurrent request
    real_adopt = services.adopt

    def interleaved(*args, **kwargs):
        # The concurrent « qui » POST lands after the link was checked, before adopt().
        response = second.post(
            reverse("directory:owner-step", args=[draft.pk, "qui"]),
            {
                "name": "Leurre",
                "kind": "producer",
                "description": "",
                "contact_name": "x",
                "contact_email": "victim@example.org",
                "contact_phone": "",
            },
        )
        assert response.status_code == 302
        return real_adopt(*args, **kwargs)

    monkeypatch.setattr(services, "adopt", interleaved)
    attacker.get(path)
    response = attacker.post(path)
    assert attacker.session.get("_auth_user_id") != str(victim.pk), (
        "the confirmation link signed the attacker in as the owner of the address typed later"
    )
    draft.refresh_from_db()
    assert draft.owner_id is None, "the draft was adopted into another address's account"
    assert response.status_code == 403 and "plus valable" in response.content.decode()


def test_changing_the_contact_email_spends_the_link_and_confirms_the_new_one(offline):
    client = Client()
    draft = start(client, "Ferme du Test", "first@example.net")
    old = _confirm_path()
    sent = len(mail.outbox)
    response = client.post(
        reverse("directory:owner-step", args=[draft.pk, "qui"]),
        {
            "name": "Ferme du Test",
            "kind": "producer",
            "description": "",
            "contact_name": "x",
            "contact_email": "second@example.net",
            "contact_phone": "",
        },
    )
    assert response.status_code == 302
    assert len(mail.outbox) == sent + 1, "no confirmation sent to the new address"
    assert mail.outbox[-1].to == ["second@example.net"]
    fresh = _confirm_path()
    assert Client().post(old).status_code == 403, "the link to the old address still adopts"
    other = Client()
    assert other.post(fresh).status_code == 302
    draft.refresh_from_db()
    assert draft.owner is not None and draft.owner.email == "second@example.net"
