"""Public pages and the admin."""

import datetime

import pytest
from django.urls import reverse

from directory.models import Actor, ActorKind, DistributionLink, ModerationStatus, OpeningSlot
from geodata.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def farm(make_actor):
    olivet = Commune.objects.get(code="45232")
    farm = make_actor(
        name="La Chèvrerie <script>alert(1)</script>",
        commune=olivet,
        postal_code="45160",
        phone="02 61 91 00 01",
        products="crottins, faisselles",
    )
    market = make_actor(name="Marché d'Olivet", kind=ActorKind.MARKET, commune=olivet)
    DistributionLink.objects.create(
        actor=farm, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    OpeningSlot.objects.create(
        actor=farm, weekday=4, opens=datetime.time(16), closes=datetime.time(19)
    )
    return farm


def test_home_page_without_a_search(client, farm):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html and "Centre-Val de Loire" in html
    assert 'role="search"' in html and 'aria-live="polite"' in html
    assert "2 adresses pour trouver des produits locaux" in html


def test_search_page_lists_results_escaped_with_distance_and_departement(client, farm, make_actor):
    make_actor(name="Ferme du Cher", lat=47.08, lon=2.40, commune=Commune.objects.get(code="18033"))
    response = client.get("/", {"where": "Olivet", "radius": 10})
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "2 adresses à moins de 10 km de Olivet (45160)." in html
    assert "Ferme du Cher" not in html
    assert 'href="tel:0261910001"' in html
    features = response.context["features"]
    assert [f["properties"]["name"] for f in features][0].startswith("La Chèvrerie")


def test_results_in_another_departement_or_region_are_flagged(client, make_actor):
    # Searching from Courtenay (Loiret): a farm across the border in the Yonne.
    make_actor(
        name="Ferme icaunaise", lat=48.0390, lon=3.1250, commune=Commune.objects.get(code="89298")
    )
    html = client.get("/", {"near": "48.0390,3.0580", "radius": 10}).content.decode()
    # Named: which région, and which of its départements.
    assert "Dans une autre région : Bourgogne-Franche-Comté (Yonne)" in html


def test_large_ids_are_written_without_thousand_separators(client, make_actor):
    # French number formatting would write 12345 as "12 345" and break the list-map link.
    make_actor(pk=12345, name="Ferme 12345", lat=47.9, lon=1.9)
    html = client.get("/", {"near": "47.9,1.9", "radius": 5}).content.decode()
    assert 'id="result-12345" data-id="12345"' in html
    assert '"id": 12345' in html  # the map's features


def test_search_errors_are_shown_and_keep_the_input(client, farm):
    response = client.get("/", {"where": "Zzqxwville", "q": "miel", "radius": "500"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Zzqxwville"' in html and 'value="miel"' in html
    assert "inférieure ou égale à 100" in html


def test_actor_page(client, farm):
    response = client.get(farm.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:0261910001"' in html
    assert "Olivet, Loiret (45)" in html
    assert "Marché d&#x27;Olivet" in html and "samedi" in html
    assert "Vendredi 16h00–19h00" in html
    assert "<script>alert(1)" not in html


def test_unpublished_actor_is_404_for_the_public_but_not_for_its_owner(
    client, make_actor, django_user_model
):
    owner = django_user_model.objects.create_user("owner")
    pending = make_actor(status=ModerationStatus.PENDING, owner=owner)
    assert client.get(pending.get_absolute_url()).status_code == 404
    client.force_login(owner)
    response = client.get(pending.get_absolute_url())
    assert response.status_code == 200 and "Fiche non publiée" in response.content.decode()


def test_english_is_the_second_locale(client, farm):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Buy local in Centre-Val de Loire" in html and "Producer with a shop" in html
    html = client.get(farm.get_absolute_url()).content.decode()
    assert "What you can buy" in html and "Friday" in html


def test_pages_cannot_be_framed(client, farm):
    assert client.get("/")["X-Frame-Options"] == "DENY"


@pytest.fixture
def admin_client_(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw"))
    return client


def test_admin_actor_list_filters_and_search(admin_client_, farm, make_actor):
    make_actor(
        name="Boulangerie de Tours",
        kind=ActorKind.ARTISAN,
        commune=Commune.objects.get(code="37261"),
    )
    url = reverse("admin:directory_actor_changelist")
    assert admin_client_.get(url).status_code == 200
    by_dep = admin_client_.get(url, {"departement": "37"}).context["cl"].result_list
    assert [a.name for a in by_dep] == ["Boulangerie de Tours"]
    by_kind = admin_client_.get(url, {"kind__exact": "market"}).context["cl"].result_list
    assert [a.name for a in by_kind] == ["Marché d'Olivet"]
    found = admin_client_.get(url, {"q": "chèvrerie"}).context["cl"].result_list
    assert [a.pk for a in found] == [farm.pk]


def test_admin_change_form_has_a_local_leaflet_map(admin_client_, farm):
    html = admin_client_.get(
        reverse("admin:directory_actor_change", args=[farm.pk])
    ).content.decode()
    assert "leaflet/leaflet.js" in html and "/static/leaflet/" in html
    assert "unpkg.com" not in html and "cdnjs" not in html


def test_admin_moderation_action(admin_client_, make_actor):
    pending = [make_actor(status=ModerationStatus.PENDING) for _ in range(3)]
    response = admin_client_.post(
        reverse("admin:directory_actor_changelist"),
        {"action": "mark_published", "_selected_action": [a.pk for a in pending[:2]]},
        follow=True,
    )
    assert "2 fiches passées à « Publiée »" in response.content.decode()
    statuses = [Actor.objects.get(pk=a.pk).status for a in pending]
    assert statuses == ["published", "published", "pending"]


def test_admin_moderation_action_needs_change_permission(client, django_user_model, make_actor):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_actor"))
    client.force_login(viewer)
    pending = make_actor(status=ModerationStatus.PENDING)
    client.post(
        reverse("admin:directory_actor_changelist"),
        {"action": "mark_published", "_selected_action": [pending.pk]},
    )
    assert Actor.objects.get(pk=pending.pk).status == ModerationStatus.PENDING


@pytest.mark.parametrize(
    "name",
    [
        "geodata_commune",
        "geodata_departement",
        "geodata_region",
        "geodata_postalcode",
        "directory_category",
        "directory_label",
        "directory_salemode",
    ],
)
def test_admin_lists_every_model(admin_client_, name):
    app, model = name.split("_", 1)
    assert admin_client_.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200


def jsonld_of(html: str) -> dict:
    import json
    import re

    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def test_listing_has_schema_org_local_business_with_opening_hours(client, farm):
    from directory.models import ScheduleException, Season

    season = Season.objects.create(
        actor=farm, name="Été", start_month=5, start_day=1, end_month=9, end_day=30
    )
    OpeningSlot.objects.create(
        actor=farm, weekday=5, opens=datetime.time(9), closes=datetime.time(12), season=season
    )
    ScheduleException.objects.create(actor=farm, date=datetime.date(2026, 12, 25), closed=True)
    html = client.get(farm.get_absolute_url()).content.decode()
    data = jsonld_of(html)
    assert data["@context"] == "https://schema.org" and data["@type"] == "LocalBusiness"
    assert data["name"] == farm.name  # the <script> in the name is escaped, not executed
    assert "</script><script>" not in html.split("application/ld+json")[1].split("</script>")[0]
    assert data["telephone"] == "02 61 91 00 01"
    assert (
        data["address"]["addressLocality"] == "Olivet" and data["address"]["postalCode"] == "45160"
    )
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 47.9, "longitude": 1.9}
    hours = data["openingHoursSpecification"]
    assert {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Friday",
        "opens": "16:00",
        "closes": "19:00",
    } in hours
    assert {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Saturday",
        "opens": "09:00",
        "closes": "12:00",
        "validFrom": "--05-01",
        "validThrough": "--09-30",
    } in hours
    assert {
        "@type": "OpeningHoursSpecification",
        "validFrom": "2026-12-25",
        "validThrough": "2026-12-25",
        "opens": "00:00",
        "closes": "00:00",
    } in hours


def test_listing_has_opengraph_tags_and_a_small_map(client, farm):
    html = client.get(farm.get_absolute_url()).content.decode()
    assert (
        '<meta property="og:title" content="La Chèvrerie &lt;script&gt;alert(1)&lt;/script&gt;">'
        in html
    )
    assert f'<meta property="og:url" content="http://testserver/acteurs/{farm.slug}/">' in html
    assert '<meta property="place:location:latitude" content="47.90000">' in html
    assert 'id="actor-map"' in html and 'id="actor-map-config"' in html


def test_home_based_producer_page_never_shows_the_house(client, make_actor):
    olivet = Commune.objects.get(code="45232")
    home = make_actor(
        lat=47.8412345,
        lon=1.8812345,
        commune=olivet,
        address="3 impasse des Secrets",
        location_is_approximate=True,
    )
    html = client.get(home.get_absolute_url()).content.decode()
    assert "impasse des Secrets" not in html and "47.84123" not in html and "1.88123" not in html
    data = jsonld_of(html)
    assert "streetAddress" not in data["address"]
    assert data["geo"]["latitude"] == round(olivet.townhall.y, 5)
