"""Staff figures: they match the events generated here, and nothing personal is stored."""

import csv
import datetime
import io
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from directory import clock
from directory.figures.counting import flush_page_views
from directory.models import EmbedView, ModerationEvent, PageViewDay, Partner, SearchDay
from directory.models.moderation import Event
from directory.roles import EDITORS, MODERATORS

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (X11; Linux) TestAgent-7f3a"
ADDRESS = "203.0.113.77"


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("redac", "redac@example.org", "pw")
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


def csv_rows(client, name, query=""):
    response = client.get(f"/staff/chiffres/{name}.csv{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff")), delimiter=";"))


def test_page_views_and_visits_are_counted_without_personal_data(client, make_actor, territories):
    actor = make_actor(lat=47.59, lon=1.33, name="Ferme du Moulin")
    headers = {"HTTP_USER_AGENT": AGENT, "REMOTE_ADDR": ADDRESS}
    client.get("/", **headers)  # typed in: a visit
    client.get("/", HTTP_REFERER="https://www.google.fr/", **headers)  # from elsewhere: a visit
    client.get(actor.get_absolute_url(), HTTP_REFERER="http://testserver/", **headers)  # inside
    client.get("/marches/", HTTP_REFERER="http://testserver/", **headers)
    client.get("/", HTTP_USER_AGENT="Googlebot/2.1")  # robots are not counted
    client.get("/nulle-part/", **headers)  # 404s are not counted
    client.get("/api/v1/kinds/", **headers)  # nor the API
    flush_page_views()  # counted in the cache, written to the table in batches
    today = timezone.localdate()
    rows = {p.page: (p.views, p.entries) for p in PageViewDay.objects.filter(day=today)}
    assert rows == {"accueil": (2, 2), "fiche": (1, 0), "marches": (1, 0)}
    assert_nothing_personal_stored()


def assert_nothing_personal_stored():
    """No table has a column for an address or browser, and no value holds ours."""
    for model in apps.get_models():
        names = {f.name.lower() for f in model._meta.concrete_fields}
        assert not names & {"ip", "ip_address", "remote_addr", "user_agent", "useragent"}, model
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for field in text_fields:
            for needle in (ADDRESS, "TestAgent-7f3a"):
                lookup = (
                    f"{field}__contains"
                    if not isinstance(model._meta.get_field(field), models.JSONField)
                    else None
                )
                if lookup is None:
                    values = model.objects.values_list(field, flat=True)
                    assert not any(needle in str(v) for v in values), (model, field)
                else:
                    assert not model.objects.filter(**{lookup: needle}).exists(), (model, field)


def test_searches_by_place_and_product_including_empty_ones(
    client, make_actor, territories, editor
):
    make_actor(lat=47.5905, lon=1.3305, name="Ferme du Moulin", products="fromage de chèvre")
    client.get("/", {"where": "Blois", "q": "Fromage"})  # found
    client.get("/", {"where": "Blois", "q": "fromage", "page": "1"})  # paging: not a new search
    client.get("/", {"where": "Blois", "q": "Safran"})  # nothing
    client.get("/", {"where": "Vierzon", "q": "safran"})  # nothing
    client.get("/", {"where": "Blois", "q": "safran"})  # nothing, again
    rows = {(s.place, s.product): (s.searches, s.empty) for s in SearchDay.objects.all()}
    assert rows == {
        ("Blois (41000)", "fromage"): (1, 0),
        ("Blois (41000)", "safran"): (2, 2),
        ("Vierzon (18100)", "safran"): (1, 1),
    }
    client.force_login(editor)
    page = client.get("/staff/chiffres/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg id="chart-searches"' in html and "Blois (41000)" in html
    empty = csv_rows(client, "recherches-sans-resultat")
    assert empty == [
        ["lieu", "produit", "sans résultat", "recherches"],
        ["Blois (41000)", "safran", "2", "2"],
        ["Vierzon (18100)", "safran", "1", "1"],
    ]
    by_product = csv_rows(client, "recherches-produits")
    assert by_product[1:] == [["safran", "3", "3"], ["fromage", "1", "0"]]


def test_listings_registrations_delays_and_embeds(
    client, make_actor, territories, editor, django_user_model
):
    now = timezone.now()
    from geodata.models import Commune

    blois = Commune.objects.get(code="41018")
    producers = [make_actor(lat=47.59, lon=1.33 + i / 100, commune=blois) for i in range(3)]
    make_actor(lat=47.39, lon=0.68, kind="market", status="pending")

    def event(actor, action, hours_ago):
        e = ModerationEvent.objects.create(actor=actor, actor_name=actor.name, action=action)
        ModerationEvent.objects.filter(pk=e.pk).update(at=now - datetime.timedelta(hours=hours_ago))

    event(producers[0], Event.SUBMITTED, 50)
    event(producers[0], Event.APPROVED, 40)  # 10 h later
    event(producers[1], Event.SUBMITTED, 30)
    event(producers[1], Event.APPROVED, 0)  # 30 h later
    event(producers[2], Event.SUBMITTED, 1)  # still waiting
    Partner.objects.create(name="Chambre d'agriculture 41", website="https://www.chambre41.fr/")
    today = timezone.localdate()
    EmbedView.objects.create(day=today, origin="https://www.chambre41.fr", views=12)
    EmbedView.objects.create(
        day=today - datetime.timedelta(days=1), origin="https://www.chambre41.fr", views=3
    )
    EmbedView.objects.create(day=today, origin="https://mairie.example", views=5)
    EmbedView.objects.create(
        day=today - datetime.timedelta(days=400), origin="https://mairie.example", views=99
    )

    client.force_login(editor)
    start = (today - datetime.timedelta(days=6)).isoformat()
    query = f"?du={start}&au={today.isoformat()}&par=semaine"
    assert client.get("/staff/chiffres/" + query).status_code == 200
    statuses = {row[0]: row[1:] for row in csv_rows(client, "fiches-statuts", query)[1:]}
    header = csv_rows(client, "fiches-statuts", query)[0]
    published = header.index("Publiée") - 1
    pending = header.index("En attente de modération") - 1
    assert statuses["Producteur"][published] == "3"
    assert statuses["Marché de plein air"][pending] == "1"
    by_departement = csv_rows(client, "fiches-departements", query)
    assert by_departement[1][0] == "41" and by_departement[1][1] == "3"

    registrations = csv_rows(client, "inscriptions", f"?du={start}&au={today.isoformat()}&par=jour")
    totals = [sum(int(r[1]) for r in registrations[1:]), sum(int(r[2]) for r in registrations[1:])]
    assert totals == [3, 2]
    delays = {r[3] for r in registrations[1:] if r[3]}
    # One decision a day at most here: each day's median is its own delay, 10 h and 30 h.
    assert delays <= {"10,0", "30,0"} and delays

    embeds = csv_rows(client, "integrations", query)
    assert embeds == [
        ["site", "partenaire", "affichages"],
        ["https://www.chambre41.fr", "Chambre d'agriculture 41", "15"],
        ["https://mairie.example", "", "5"],
    ]


def test_visits_per_day_and_week(client, editor, territories):
    start = datetime.date(2026, 11, 2)  # a Monday
    for offset, (views, entries) in enumerate([(10, 4), (20, 6), (5, 1)]):
        PageViewDay.objects.create(
            day=start + datetime.timedelta(days=offset),
            page="accueil",
            views=views,
            entries=entries,
        )
    PageViewDay.objects.create(
        day=start + datetime.timedelta(days=7), page="fiche", views=7, entries=2
    )
    client.force_login(editor)
    days = csv_rows(client, "visites", "?du=2026-11-02&au=2026-11-04&par=jour")
    assert days[1:] == [["2 nov.", "10", "4"], ["3 nov.", "20", "6"], ["4 nov.", "5", "1"]]
    weeks = csv_rows(client, "visites", "?du=2026-11-02&au=2026-11-15&par=semaine")
    assert weeks[1:] == [["sem. du 2 nov.", "35", "11"], ["sem. du 9 nov.", "7", "2"]]


def test_bad_periods_are_a_clear_error(client, editor):
    client.force_login(editor)
    response = client.get("/staff/chiffres/?du=2026-12-01&au=2026-11-01")
    assert response.status_code == 400
    assert "La date de début doit précéder la date de fin." in response.content.decode()
    assert client.get("/staff/chiffres/?du=pas-une-date").status_code == 400
    assert client.get("/staff/chiffres/inconnu.csv").status_code == 404


@pytest.mark.parametrize("role", [None, MODERATORS, EDITORS])
def test_who_sees_the_figures(client, django_user_model, role):
    user = django_user_model.objects.create_user("u", "u@example.org", "pw")
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    assert client.get("/staff/chiffres/").status_code == (200 if role else 403)


@pytest.mark.parametrize("path", ["/staff/chiffres/", "/moderation/", "/staff/imports/"])
def test_signed_out_staff_are_sent_to_sign_in_and_back(client, path):
    response = client.get(path + "?du=2026-11-01")
    assert response.status_code == 302
    back = response["Location"]
    assert back.startswith("/admin/login/?next=")
    assert unquote(back.split("next=", 1)[1]) == path + "?du=2026-11-01"


def test_record_figures_command_takes_the_day_snapshot(make_actor, territories, capsys):
    from django.core.management import call_command

    from directory.models import ListingCountDay

    make_actor()
    call_command("record_figures")
    call_command("record_figures")  # idempotent: the day's rows are replaced
    assert ListingCountDay.objects.get().count == 1
    assert "ligne(s) de comptage" in capsys.readouterr().out
    assert clock.now()
