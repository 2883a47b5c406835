"""The read replica and its router (directory.dbrouter), on two real PostgreSQL clusters:
the test command's primary and a streaming replica of it (./dev start_replica).

pytest-django's test database lives in transactions the replica never sees, so these
tests use a database of their own, created and migrated on the primary, which the replica
receives by streaming, and a Django process with the production settings
(DATABASE_REPLICA_URL set) that writes committed rows and answers through the test client.
Pausing the replica's replay (pg_wal_replay_pause) makes it show the past: a page that
does not show a row committed on the primary was read on the replica.
"""

import os
import subprocess
import time
import uuid

import psycopg2
import pytest

from tests.stack.processes import (
    DjangoProcess,
    migrated_database,
    production_env,
    required_env,
    sql,
)

DB = "stack_app"  # tests.stack.processes.migrated_database


def _sql(port, query, dbname="postgres"):
    return sql(port, query, dbname)


def _wait(condition, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except psycopg2.Error:
            pass
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class Replica:
    """The replica cluster the test command started: pause, resume, stop, start."""

    def __init__(self):
        self.port = int(required_env("TOUTPRES_TEST_REPLICA_PORT"))
        self.primary_port = int(required_env("TOUTPRES_TEST_PRIMARY_PORT"))
        self.data = required_env("TOUTPRES_TEST_REPLICA_DATA")
        self.pg_ctl = os.path.join(required_env("TOUTPRES_TEST_PG_BIN"), "pg_ctl")
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def sql(self, query):
        return _sql(self.port, query, DB)

    def has_slug(self, slug) -> bool:
        return bool(self.sql(f"SELECT 1 FROM directory_actor WHERE slug = '{slug}'"))  # noqa: S608

    def pause(self):
        self.sql("SELECT pg_wal_replay_pause()")
        _wait(lambda: self.sql("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused", "pause")

    def resume(self):
        self.sql("SELECT pg_wal_replay_resume()")

    def ctl(self, *args):
        subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", self.data, *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self):
        self.ctl("-m", "fast", "-w", "stop")

    def wait_streaming(self):
        _wait(
            lambda: self.sql("SELECT status FROM pg_stat_wal_receiver") == [("streaming",)],
            "the replica to stream from the primary",
        )

    def start(self):
        sockets = os.path.dirname(self.data)
        self.ctl(
            "-l",
            os.path.join(sockets, "replica.log"),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
        )
        self.wait_streaming()


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    replica = Replica()
    # A database of our own on the primary, migrated; the replica receives it as it is made.
    migrated_database(tmp_path_factory.mktemp("migrate"), DB)
    _wait(
        lambda: replica.sql("SELECT count(*) FROM django_migrations")[0][0] > 0,
        "the migrated database on the replica",
    )
    yield replica
    replica.resume()


def _url(port):
    return f"postgis://toutpres:toutpres@127.0.0.1:{port}/{DB}"


@pytest.fixture
def app(replica, tmp_path):
    """A Django process on the primary with the replica, checking the replica every time."""
    # Other stack tests restart the primary: the replica reconnects within seconds.
    replica.wait_streaming()
    process = DjangoProcess(
        production_env(
            tmp_path,
            DATABASE_URL=_url(replica.primary_port),
            DATABASE_REPLICA_URL=_url(replica.port),
            DATABASE_REPLICA_CHECK_SECONDS=0,
            DATABASE_REPLICA_MAX_LAG=3600,
        )
    )
    process.run(
        """
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.gis.geos import Point
        from django.db import connections
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from directory.models import Actor, ActorKind, ModerationStatus
        from directory import dbrouter

        def publish(slug):
            return Actor.objects.create(
                name=slug, slug=slug, kind=ActorKind.PRODUCER,
                status=ModerationStatus.PUBLISHED, location=Point(1.9, 47.9, srid=4326),
            ).pk

        def status(client, slug):
            return client.get(f"/acteurs/{slug}/").status_code

        def replica_queries(client, slug):
            with CaptureQueriesContext(connections["replica"]) as queries:
                code = status(client, slug)
            # What the page read there (the lag checks aside).
            return code, sum(
                "pg_is_in_recovery" not in q["sql"] for q in queries.captured_queries
            )
        """
    )
    yield process
    process.close()


def _slug(name):
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_public_reads_go_to_the_replica_and_writers_read_their_writes(replica, app):
    known, fresh = _slug("connue"), _slug("nouvelle")
    app.run(f"publish({known!r})")
    _wait(lambda: replica.has_slug(known), "the first listing on the replica")
    replica.pause()
    try:
        app.run(
            f"owner = get_user_model().objects.create_user('owner-{fresh}'); publish({fresh!r})"
        )
        assert not replica.has_slug(fresh), "the paused replica replayed the write"
        code, queries = app.run(f"result = replica_queries(Client(), {known!r})")
        assert code == 200 and queries > 0, (
            f"a visitor's page was not read on the replica ({code}, {queries} replica queries)"
        )
        assert app.run(f"result = status(Client(), {fresh!r})") == 404, (
            "a visitor saw a listing the replica does not have yet: the page read the primary"
        )
        # The owner, signed in, reads the primary: their own listing is there at once.
        assert app.run(
            f"c = Client(); c.force_login(owner); result = replica_queries(c, {fresh!r})"
        ) == [200, 0], "a signed-in owner's page was read on the lagging replica"
        # A visitor who just sent a form reads the primary for a while (read-your-writes).
        assert app.run(
            f"""
            c = Client()
            c.post("/alertes/", {{}})
            result = [c.cookies[dbrouter.STICKY_COOKIE]["max-age"], status(c, {fresh!r})]
            """
        ) == [60, 200], "after a POST, the same browser's next page did not read the primary"
    finally:
        replica.resume()
    _wait(lambda: replica.has_slug(fresh), "the replica to catch up")
    assert app.run(f"result = replica_queries(Client(), {fresh!r})")[0] == 200


def test_a_visitors_proximity_search_reads_the_replica(replica, app):
    # The search's ranking is raw SQL: it must go where the router sends public reads,
    # not to the primary by default.
    known, fresh = _slug("proche"), _slug("fraiche")
    app.run(f"publish({known!r})")
    _wait(lambda: replica.has_slug(known), "the first listing on the replica")
    replica.pause()
    try:
        app.run(f"publish({fresh!r})")
        found = app.run(
            """
            with CaptureQueriesContext(connections["replica"]) as queries:
                response = Client().get(
                    "/api/v1/actors/", {"near": "47.9,1.9", "radius": "5"}, secure=True
                )
            result = [
                response.status_code,
                [f["properties"]["slug"] for f in response.json()["features"]],
                any("metres" in q["sql"] or "EXECUTE" in q["sql"] for q in queries.captured_queries),
            ]
            """
        )
        code, slugs, ranked_there = found
        assert code == 200, found
        assert ranked_there, "the search's ranking did not run on the replica"
        assert known in slugs and fresh not in slugs, (
            f"a visitor's search did not read the paused replica: {slugs}"
        )
    finally:
        replica.resume()


def test_reads_fall_back_to_the_primary_when_the_replica_lags(replica, app):
    fresh = _slug("tardive")
    replica.pause()
    try:
        app.run(f"publish({fresh!r})")
        _wait(lambda: app.run("result = dbrouter.replica_lag()") > 1, "a lag of one second")
        assert app.run(
            f"settings.TOUTPRES_REPLICA['MAX_LAG'] = 1; result = replica_queries(Client(), {fresh!r})"
        ) == [200, 0], (
            "with the replica lagging past DATABASE_REPLICA_MAX_LAG, a visitor's page was "
            "not read on the primary"
        )
        assert (
            app.run(
                f"settings.TOUTPRES_REPLICA['MAX_LAG'] = 3600; result = status(Client(), {fresh!r})"
            )
            == 404
        ), "within the allowed lag, the page should have read the (paused) replica"
    finally:
        replica.resume()


def test_reads_fall_back_to_the_primary_when_the_replica_is_down_and_come_back(replica, app):
    known = _slug("survit")
    app.run(f"publish({known!r})")
    _wait(lambda: replica.has_slug(known), "the listing on the replica")
    # The last check said "usable" and is trusted for an hour: the replica then goes away
    # between two requests, and the request that finds it gone is answered from the primary.
    app.run(
        f"settings.TOUTPRES_REPLICA['CHECK_SECONDS'] = 3600; dbrouter.reset_health(); "
        f"result = replica_queries(Client(), {known!r})"
    )
    replica.stop()
    try:
        assert app.run(f"result = status(Client(), {known!r})") == 200, (
            "the replica stopped under a trusted check: the request failed instead of "
            "reading the primary"
        )
        # The same through the API (DRF hands database errors on to Django).
        assert (
            app.run(
                "import time; dbrouter._health.update(checked=time.monotonic(), usable=True); "
                f"result = Client().get('/api/v1/actors/{known}/').status_code"
            )
            == 200
        ), "the API failed with the replica gone instead of reading the primary"
        assert (
            app.run(
                "settings.TOUTPRES_REPLICA['CHECK_SECONDS'] = 0; result = dbrouter.replica_usable()"
            )
            is False
        )
        assert app.run(f"result = status(Client(), {known!r})") == 200, (
            "with the replica down, a visitor's page failed"
        )
        assert app.run("result = Client().get('/').status_code") == 200
    finally:
        replica.start()
    code, queries = app.run(f"result = replica_queries(Client(), {known!r})")
    assert code == 200 and queries > 0, "reads did not come back to the restarted replica"


def test_writes_and_migrations_stay_on_the_primary(replica, app):
    assert app.run(
        """
        from django.db import router
        result = [
            router.db_for_write(Actor),
            router.allow_migrate("replica", "directory"),
            router.allow_migrate("default", "directory"),
        ]
        """
    ) == ["default", False, True]
