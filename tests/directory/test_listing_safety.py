"""Home-based producers' houses never leak; hostile text stays inert; listings stay fresh."""

import datetime
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from directory.models import (
    Actor,
    ActorKind,
    DistributionLink,
    Event,
    ModerationEvent,
    ModerationStatus,
    OpeningSlot,
)
from directory.moderation import freshness
from directory.moderation.duplicates import find_duplicates
from geodata.models import Commune

pytestmark = pytest.mark.django_db

# The house: digits that appear nowhere else (Olivet's town hall is at 47.86…/1.89…).
HOUSE = (47.841357, 1.873579)


def coordinate_strings(lat, lon):
    """Every way an output could spell the house's position."""
    out = set()
    for digits in (6, 5, 4, 3):
        out |= {f"{lat:.{digits}f}", f"{lon:.{digits}f}"}
    out |= {repr(lat), repr(lon)}
    return out


def public_outputs(client, actor):
    market = Actor.objects.get(name="Marché d'Olivet")
    urls = [
        "/",
        "/?where=Olivet&radius=10",
        "/?near=47.85,1.88&radius=10",
        actor.get_absolute_url(),
        market.get_absolute_url(),
        "/marches/",
        "/api/v1/actors/?near=47.85,1.88&radius=10",
        "/api/v1/actors/?near=47.85,1.88&radius=10&kind=producer",
        "/api/v1/actors/?q=maraicher",
        "/api/v1/layer/?bbox=1.7,47.7,2.1,48.0&zoom=14",
        "/api/v1/layer/?bbox=1.7,47.7,2.1,48.0&zoom=8",
        "/fiche/?commune=45232&radius=10",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response.content.decode()


def test_a_home_based_producers_exact_point_never_appears_publicly(client, make_actor):
    olivet = Commune.objects.get(code="45232")
    home = make_actor(
        name="Maraîcher à domicile",
        lat=HOUSE[0],
        lon=HOUSE[1],
        commune=olivet,
        location_is_approximate=True,
        address="7 impasse des Lilas",
        products="maraicher légumes",
        phone="02 38 12 12 12",
    )
    market = make_actor(name="Marché d'Olivet", kind=ActorKind.MARKET, lat=47.87, lon=1.9)
    DistributionLink.objects.create(actor=home, place=market, weekday=5)
    OpeningSlot.objects.create(
        actor=home, weekday=5, opens=datetime.time(9), closes=datetime.time(12)
    )
    secrets = coordinate_strings(*HOUSE) | {"7 impasse des Lilas"}
    checked = 0
    for url, body in public_outputs(client, home):
        for secret in secrets:
            assert secret not in body, (url, secret)
        checked += 1
    assert checked == 12
    # The listing does show where to find them: the commune, on the map and in text.
    page = client.get(home.get_absolute_url()).content.decode()
    assert f"{olivet.townhall.y:.5f}" in page and "Olivet" in page


XSS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<a href='javascript:alert(1)'>clic</a>",
    "{{ 7*7 }} </textarea><svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_is_inert_everywhere_it_appears(
    client, make_actor, django_user_model, payload
):
    from django.contrib.auth.models import Group

    from directory.roles import MODERATORS

    owner = django_user_model.objects.create_user("o@example.org", "o@example.org")
    actor = make_actor(name="Ferme", owner=owner, lat=47.86, lon=1.9)
    client.force_login(owner)
    # Through the owner's forms (texts are stripped of tags, then escaped on output).
    response = client.post(
        reverse("directory:owner-step", args=[actor.pk, "qui"]),
        {
            "name": f"Ferme {payload}",
            "kind": "producer",
            "description": payload,
            "contact_name": payload,
            "contact_email": "o@example.org",
            "contact_phone": "06",
        },
    )
    assert response.status_code in (302, 400)
    client.post(
        reverse("directory:owner-step", args=[actor.pk, "quoi"]),
        {"products": payload, "categories": []},
    )
    # And straight into the database, as an import or the admin could.
    Actor.objects.filter(pk=actor.pk).update(
        name=f"Ferme {payload}",
        description=payload,
        products=payload,
        closed_note=payload,
        closed_until=timezone.localdate() + datetime.timedelta(days=2),
    )
    actor.refresh_from_db()
    moderator = django_user_model.objects.create_user("m", "m@example.org")
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    pages = [
        actor.get_absolute_url(),
        "/?near=47.86,1.9&radius=5",
        "/fiche/?commune=45232&radius=10",
    ]
    client.logout()
    bodies = [client.get(url).content.decode() for url in pages]
    client.force_login(owner)
    bodies.append(client.get(reverse("directory:owner-home")).content.decode())
    client.force_login(moderator)
    bodies.append(
        client.get(reverse("directory:moderation-actor", args=[actor.pk])).content.decode()
    )
    bodies.append(client.get(reverse("directory:moderation-queue")).content.decode())
    for body in bodies:
        assert "<script>alert" not in body
        assert "<img src=x" not in body and "<svg onload" not in body
        assert "<a href='javascript" not in body and '<a href="javascript' not in body
    api = client.get("/api/v1/actors/", {"near": "47.86,1.9", "radius": 5}).json()
    assert api["features"][0]["properties"]["name"] == f"Ferme {payload}"  # JSON, not HTML


def test_owner_forms_strip_tags_and_limit_lengths(client, make_actor, django_user_model):
    owner = django_user_model.objects.create_user("o@example.org", "o@example.org")
    actor = make_actor(owner=owner, status=ModerationStatus.DRAFT)
    client.force_login(owner)
    client.post(
        reverse("directory:owner-step", args=[actor.pk, "qui"]),
        {
            "name": "Ferme",
            "kind": "producer",
            "description": "<b>Bio</b> <script>x()</script>depuis 1990",
            "contact_name": "Marie",
            "contact_email": "o@example.org",
        },
    )
    actor.refresh_from_db()
    assert actor.description == "Bio depuis 1990"  # a script's content goes with its tags
    response = client.post(
        reverse("directory:owner-step", args=[actor.pk, "qui"]),
        {
            "name": "Ferme",
            "kind": "producer",
            "description": "x" * 3001,
            "contact_name": "Marie",
            "contact_email": "o@example.org",
        },
    )
    assert response.status_code == 400
    assert "3000" in response.content.decode().replace("\u202f", "").replace(" ", "")


def jpeg(size=(800, 600)):
    out = BytesIO()
    Image.new("RGB", size, "green").save(out, "JPEG")
    return out.getvalue()


def test_a_refused_photo_keeps_the_rest_of_the_form(
    client, make_actor, django_user_model, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    owner = django_user_model.objects.create_user("o@example.org", "o@example.org")
    actor = make_actor(owner=owner)
    client.force_login(owner)
    data = {
        "phone": "02 38 44 44 44",
        "website": "ferme.example",
        "photos-TOTAL_FORMS": "2",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "5",
        "photos-0-alt_text": "Les chèvres",
        "photos-0-position": "0",
        "photos-0-image": SimpleUploadedFile("ok.jpg", jpeg(), "image/jpeg"),
        "photos-1-alt_text": "Tarifs",
        "photos-1-position": "1",
        "photos-1-image": SimpleUploadedFile("tarifs.jpg", b"%PDF-1.4", "image/jpeg"),
    }
    response = client.post(reverse("directory:owner-step", args=[actor.pk, "contacts"]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="02 38 44 44 44"' in html and 'value="Les chèvres"' in html
    assert "image valide" in html
    actor.refresh_from_db()
    assert actor.phone == "" and not actor.photos.exists()  # all or nothing
    data["photos-1-image"] = SimpleUploadedFile("b.jpg", jpeg((4000, 3000)), "image/jpeg")
    data["photos-0-image"] = SimpleUploadedFile("ok.jpg", jpeg(), "image/jpeg")
    response = client.post(reverse("directory:owner-step", args=[actor.pk, "contacts"]), data)
    assert response.status_code == 302
    assert actor.photos.count() == 2
    assert max(actor.photos.get(alt_text="Tarifs").width, 0) == 1600


def test_duplicates_by_name_nearby_phone_email_and_website(make_actor):
    make_actor(name="GAEC de la Chèvrerie des Aulnes", lat=47.8600, lon=1.9000)
    make_actor(name="Chèvrerie des Aulnes", lat=47.95, lon=1.9)  # same name, 10 km away
    make_actor(name="Autre ferme", phone="+33 2 38 12 34 56", lat=47.0, lon=2.0)
    make_actor(name="Encore une", contact_email="Marie@Example.org", lat=47.0, lon=2.0)
    make_actor(name="Et une", website="https://www.chevrerie.fr/", lat=47.0, lon=2.0)
    make_actor(name="Brouillon", status=ModerationStatus.DRAFT, phone="02 38 12 34 56")
    new = Actor(
        name="Chevrerie des aulnes",
        location=make_actor(lat=47.8605, lon=1.9005, name="tmp").location,
        phone="02 38 12 34 56",
        contact_email="marie@example.org",
        website="http://chevrerie.fr",
    )
    found = {d.actor.name: d.reasons for d in find_duplicates(new)}
    assert set(found) == {"GAEC de la Chèvrerie des Aulnes", "Autre ferme", "Encore une", "Et une"}
    assert found["GAEC de la Chèvrerie des Aulnes"] == ["nom proche à moins d'1 km"]
    assert found["Autre ferme"] == ["même numéro de téléphone"]
    assert found["Encore une"] == ["même e-mail"]
    assert found["Et une"] == ["même site web"]


def test_registration_offers_to_claim_a_likely_duplicate(client, make_actor):
    import uuid

    existing = make_actor(name="Chèvrerie des Aulnes", lat=47.86, lon=1.89, phone="02 38 12 34 56")
    response = client.post(
        reverse("directory:register"),
        {
            "token": str(uuid.uuid4()),
            "name": "Chevrerie des Aulnes",
            "kind": "producer",
            "commune_name": "Olivet (45160)",
            "contact_name": "M",
            "contact_email": "m@example.org",
        },
        follow=True,
    )
    new = Actor.objects.get(status=ModerationStatus.DRAFT)
    client.post(
        reverse("directory:owner-step", args=[new.pk, "contacts"]),
        {"phone": "0238123456", "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0"},
    )
    page = client.get(reverse("directory:owner-step", args=[new.pk, "envoi"])).content.decode()
    assert "Cette fiche existe peut-être déjà" in page
    assert reverse("directory:claim", args=[existing.slug]) in page
    assert response.status_code == 200


def owned_listing(make_actor, django_user_model, **fields):
    owner = django_user_model.objects.create_user(
        fields.pop("email", "o@example.org"), fields.pop("email2", "o@example.org")
    )
    return make_actor(owner=owner, **fields)


def test_freshness_reminder_once_per_period_then_hidden_then_back(
    client, make_actor, django_user_model, settings
):
    settings.TOUTPRES_FRESHNESS = {"MONTHS": 6, "GRACE_DAYS": 30}
    now = timezone.now()
    actor = owned_listing(make_actor, django_user_model, name="Ferme ancienne")
    Actor.objects.filter(pk=actor.pk).update(confirmed_at=now - datetime.timedelta(days=200))
    fresh = owned_listing(
        make_actor,
        django_user_model,
        name="Ferme récente",
        email="r@example.org",
        email2="r@example.org",
    )
    Actor.objects.filter(pk=fresh.pk).update(confirmed_at=now - datetime.timedelta(days=20))
    make_actor(name="Sans propriétaire")  # nobody to remind

    call_command("remind_owners", verbosity=0)
    assert [m.to for m in mail.outbox] == [["o@example.org"]]
    reminder = mail.outbox[0]
    assert "toujours exactes" in reminder.subject and "/confirmation/" in reminder.body
    call_command("remind_owners", verbosity=0)  # idempotent: nothing more
    assert len(mail.outbox) == 1

    # 31 days later, still silent: hidden from the public, flagged to staff, never deleted.
    later = now + datetime.timedelta(days=31)
    assert freshness.run(now=later).hidden == 1
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.STALE
    assert client.get(actor.get_absolute_url()).status_code == 404
    assert actor in freshness.awaiting_confirmation()
    assert ModerationEvent.objects.filter(actor=actor, action=Event.HIDDEN_STALE).exists()

    # The owner follows the link and confirms, without signing in: published again, clock
    # restarted.
    link = [line for line in reminder.body.splitlines() if "/confirmation/" in line][0]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path, follow=True)
    assert page.status_code == 200 and "Oui, tout est exact" in page.content.decode()
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.STALE  # a GET (mail scanners) changes nothing
    client.post(path)
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.PUBLISHED and actor.reminder_sent_at is None
    assert client.get(actor.get_absolute_url()).status_code == 200
    assert "Informations confirmées le" in client.get(actor.get_absolute_url()).content.decode()
    assert freshness.run(now=later).reminded == 0


def test_remind_owners_prints_a_summary(make_actor, django_user_model, capsys):
    actor = owned_listing(make_actor, django_user_model)
    Actor.objects.filter(pk=actor.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=400)
    )
    call_command("remind_owners", "--dry-run")
    out = capsys.readouterr().out
    assert "[essai] 1 rappel(s) envoyé(s), 0 fiche(s) masquée(s)" in out
    assert not mail.outbox
    call_command("remind_owners")
    assert "1 rappel(s) envoyé(s)" in capsys.readouterr().out
