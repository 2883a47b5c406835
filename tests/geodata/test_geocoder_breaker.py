"""The geocoder off the hot path: a local stand-in of the BAN that hangs (longer than the
time-out) or errors; searches count its hits.

- a commune name or postal code never reaches it;
- N failing street-address searches open the circuit, the next ones are answered from the
  gazetteer without a call; after the cool-down one probe goes through, and closes it;
- registration does not wait for it: the pin goes to the town hall, « à vérifier », and a
  queued task moves it once the service answers again (unless the owner moved it).
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from directory.models import Actor
from directory.tasks import refine_position
from geodata.geocoding import breaker
from geodata.models import Commune
from tests.taskqueue import DATABASE_TASKS, queued_tasks

pytestmark = pytest.mark.django_db

TIMEOUT = 0.3
FAILURES = 3
COOLDOWN = 60.0
PLACE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [1.8801, 47.8612]},
    "properties": {
        "label": "12 Chemin des Aulnes 45160 Olivet",
        "type": "housenumber",
        "citycode": "45232",
        "city": "Olivet",
        "postcode": "45160",
    },
}


class BAN(BaseHTTPRequestHandler):
    """/search/ as the BAN answers it, or hanging, or failing, as ``server.mode`` says."""

    def do_GET(self):  # noqa: N802 (http.server API)
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
        self.server.hits.append(query)
        if self.server.mode == "hang":
            time.sleep(TIMEOUT * 4)
        if self.server.mode == "error":
            return self.reply(500, b'{"message": "Internal Server Error"}')
        self.reply(200, json.dumps({"type": "FeatureCollection", "features": [PLACE]}).encode())

    def reply(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def ban(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), BAN)
    server.daemon_threads = True
    server.hits, server.mode = [], "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    settings.TOUTPRES_GEOCODER = {
        **settings.TOUTPRES_GEOCODER,
        "BACKEND": "ban",
        "BAN_DOMAIN": f"{host}:{port}",
        "BAN_SCHEME": "http",
        "TIMEOUT": TIMEOUT,
        "BREAKER_FAILURES": FAILURES,
        "BREAKER_WINDOW": 60.0,
        "BREAKER_COOLDOWN": COOLDOWN,
    }
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock(monkeypatch):
    """The breaker's clock, moved on by the test (the cool-down passes)."""
    moment = {"now": time.time()}
    monkeypatch.setattr(breaker, "now", lambda: moment["now"])

    def advance(seconds):
        moment["now"] += seconds

    return advance


def search(client, where):
    response = client.get("/", {"where": where, "radius": "10"})
    assert response.status_code == 200, f"search for {where!r}: {response.status_code}"
    return response.content.decode()


@pytest.mark.parametrize("mode", ["ok", "hang", "error"])
def test_a_commune_or_postal_code_search_never_calls_the_service(client, ban, mode):
    ban.mode = mode
    for where in ("Olivet", "45160", "Olivet 45", "45160 Olivet", "orleans", "Tours (37)"):
        search(client, where)
    assert ban.hits == [], f"a commune search called the geocoder: {ban.hits}"


@pytest.mark.parametrize("mode", ["hang", "error"])
def test_failing_searches_open_the_circuit_then_a_probe_closes_it(
    client, ban, clock, mode, make_actor
):
    make_actor(lat=47.8612, lon=1.8801, name="Ferme des Aulnes")  # results name their place
    ban.mode = mode
    for n in range(FAILURES):
        html = search(client, f"{n + 1} chemin des Aulnes 45160 Olivet")
        assert "Olivet" in html, "the gazetteer did not answer while the service failed"
    assert len(ban.hits) == FAILURES, "each search before the circuit opens tries the service"
    assert breaker.is_open(), f"{FAILURES} failures in a row did not open the circuit"

    for n in range(5):
        html = search(client, f"{n + 10} chemin des Aulnes 45160 Olivet")
        assert "Olivet" in html, "the gazetteer did not answer with the circuit open"
    assert len(ban.hits) == FAILURES, "a search called the service while the circuit was open"

    clock(COOLDOWN - 1)
    search(client, "20 chemin des Aulnes 45160 Olivet")
    assert len(ban.hits) == FAILURES, "the service was called before the cool-down ended"

    clock(2)  # the cool-down is over: one probe; it fails, the circuit opens again
    search(client, "21 chemin des Aulnes 45160 Olivet")
    assert len(ban.hits) == FAILURES + 1, "no probe after the cool-down"
    search(client, "22 chemin des Aulnes 45160 Olivet")
    assert len(ban.hits) == FAILURES + 1, "a failed probe did not open the circuit again"

    clock(COOLDOWN + 1)
    ban.mode = "ok"
    html = search(client, "30 chemin des Aulnes 45160 Olivet")  # a new address: not cached
    assert len(ban.hits) == FAILURES + 2, "no probe after the second cool-down"
    assert "12 Chemin des Aulnes" in html, "the probe's answer was not used"
    assert not breaker.is_open(), "a successful probe did not close the circuit"
    search(client, "31 chemin des Aulnes 45160 Olivet")
    assert len(ban.hits) == FAILURES + 3, "the closed circuit does not call the service"


def test_a_failure_streak_below_the_threshold_keeps_the_circuit_closed(client, ban):
    ban.mode = "error"
    for n in range(FAILURES - 1):
        search(client, f"{n + 1} rue Basse 45160 Olivet")
    ban.mode = "ok"
    search(client, "3 rue Basse 45160 Olivet")  # a success resets the count
    ban.mode = "error"
    for n in range(FAILURES - 1):
        search(client, f"{n + 4} rue Basse 45160 Olivet")
    assert not breaker.is_open(), "failures separated by a success opened the circuit"


def registration_where(client, settings):
    from tests.directory.test_registration import identity, step

    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    address = {"address": "12 chemin des Aulnes", "postal_code": "45160", "commune_name": "Olivet"}
    response = client.post(step(actor.pk, "ou"), address, follow=True)
    assert response.redirect_chain[-1][0] == step(actor.pk, "ou")
    actor.refresh_from_db()
    return actor


def test_registration_does_not_wait_for_a_hanging_service_and_refines_later(client, ban, settings):
    settings.TASKS = DATABASE_TASKS
    ban.mode = "hang"
    actor = registration_where(client, settings)
    olivet = Commune.objects.get(code="45232")
    assert actor.location == olivet.townhall, "the pin is not at the town hall"
    assert not actor.location_checked, "the fallback pin is not flagged « à vérifier »"
    assert "directory.tasks.refine_position" in queued_tasks(), queued_tasks()
    (row,) = DBTaskResult.objects.filter(task_path="directory.tasks.refine_position")

    ban.mode = "ok"
    assert refine_position.call(*row.args_kwargs["args"]) == "refined"
    actor.refresh_from_db()
    assert (round(actor.location.x, 4), round(actor.location.y, 4)) == (1.8801, 47.8612)
    assert not actor.location_checked, "the owner still has to look at the refined pin"


def test_the_refining_task_leaves_a_pin_the_owner_moved(client, ban, settings):
    settings.TASKS = DATABASE_TASKS
    ban.mode = "error"
    actor = registration_where(client, settings)
    (row,) = DBTaskResult.objects.filter(task_path="directory.tasks.refine_position")
    moved = Point(1.9, 47.85, srid=4326)
    Actor.objects.filter(pk=actor.pk).update(location=moved)
    ban.mode = "ok"
    assert refine_position.call(*row.args_kwargs["args"]) == "moved meanwhile"
    actor.refresh_from_db()
    assert actor.location.equals_exact(moved, 1e-9), "the task moved the owner's pin"


def test_the_refining_task_tries_again_later_while_the_service_fails(client, ban, settings):
    settings.TASKS = DATABASE_TASKS
    ban.mode = "error"
    actor = registration_where(client, settings)
    (row,) = DBTaskResult.objects.filter(task_path="directory.tasks.refine_position")
    assert refine_position.call(*row.args_kwargs["args"]) == "retry"
    retry = DBTaskResult.objects.filter(task_path="directory.tasks.refine_position").exclude(
        pk=row.pk
    )
    (again,) = retry
    assert again.args_kwargs["args"][-1] == 2 and again.args_kwargs["args"][0] == actor.pk
