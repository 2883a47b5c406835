"""The shared cache on Redis (CACHE_URL=redis://…, directory.cache.RedisCache), with
Debian's redis-server: the test command's (TOUTPRES_TEST_REDIS_URL), and one of the
test's own that it stops and starts again.

Each "server" is a separate Django process with the production settings, so counts that
agree prove the cache is shared, not merely that one process counts right.
"""

import shutil
import socket
import subprocess
import time
import uuid

import pytest

from tests.stack.processes import DjangoProcess, migrated_database, production_env, required_env

SETUP = """
from django.core.cache import cache, caches
from django.test import Client, RequestFactory
from directory.ratelimit import allow
from directory.api.throttling import ApiRateThrottle, SiteRateThrottle
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return migrated_database(tmp_path_factory.mktemp("migrate"))


def _servers(tmp_path, redis_url, database, count=2, **extra):
    processes = [
        DjangoProcess(
            production_env(
                tmp_path / f"server{n}", CACHE_URL=redis_url, DATABASE_URL=database, **extra
            )
        )
        for n in range(count)
    ]
    for process in processes:
        process.run(SETUP)
    return processes


@pytest.fixture(scope="module")
def servers(tmp_path_factory, database):
    redis_url = required_env("TOUTPRES_TEST_REDIS_URL")
    processes = _servers(tmp_path_factory.mktemp("servers"), redis_url, database)
    yield processes
    for process in processes:
        process.close()


def test_the_cache_is_redis(servers):
    assert servers[0].run(
        "result = type(caches['default']).__module__ + '.' + type(caches['default']).__name__"
    ) == ("directory.cache.RedisCache")


def test_rate_limits_are_shared_by_two_servers(servers):
    scope = f"test-{uuid.uuid4().hex}"
    limit, attempts = 30, 40  # per server: 80 attempts, 30 may pass
    for server in servers:  # both at once
        server.send(
            f"result = sum(allow({scope!r}, '198.51.100.9', {limit}) for _ in range({attempts}))"
        )
    passed = sum(server.receive() for server in servers)
    assert passed == limit, f"{passed} attempts passed a limit of {limit} shared by two servers"


def test_drf_throttles_are_shared_by_two_servers(servers):
    scope = f"api-{uuid.uuid4().hex[:8]}"
    code = f"""
    factory = RequestFactory()
    throttle = ApiRateThrottle()
    throttle.scope = {scope!r}
    throttle.get_rate = lambda: "25/hour"
    result = sum(
        throttle.allow_request(factory.get("/api/v1/kinds/", REMOTE_ADDR="203.0.113.4"), None)
        for _ in range(20)
    )
    """
    for server in servers:
        server.send(code)
    passed = sum(server.receive() for server in servers)
    assert passed == 25, f"{passed} API requests passed 25/hour across two servers"


def test_incr_is_atomic_under_concurrency(servers):
    key = f"counter-{uuid.uuid4().hex}"
    servers[0].run(f"cache.set({key!r}, 0, 300)")
    code = f"""
    from concurrent.futures import ThreadPoolExecutor
    def bump(_):
        for _ in range(100):
            cache.incr({key!r})
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(bump, range(4)))
    """
    for server in servers:
        server.send(code)
    for server in servers:
        server.receive()
    assert servers[1].run(f"result = cache.get({key!r})") == 800, "increments were lost"


def test_sessions_in_the_cache_are_shared(tmp_path, database):
    redis_url = required_env("TOUTPRES_TEST_REDIS_URL")
    one, two = _servers(
        tmp_path, redis_url, database, SESSION_ENGINE="django.contrib.sessions.backends.cache"
    )
    try:
        key = one.run(
            """
            from django.contrib.sessions.backends.cache import SessionStore
            session = SessionStore()
            session["panier"] = "pommes"
            session.save()
            result = session.session_key
            """
        )
        assert (
            two.run(
                f"""
            from django.conf import settings
            from importlib import import_module
            engine = import_module(settings.SESSION_ENGINE)
            result = engine.SessionStore({key!r}).get("panier")
            """
            )
            == "pommes"
        ), "a session saved by one server is unknown to the other"
    finally:
        one.close()
        two.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, directory):
        self.port = _free_port()
        self.directory = directory
        self.process = None

    def start(self):
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail("redis-server is missing: ./dev installs it (APT_PACKAGES)")
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        pytest.fail("the test's redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def test_the_site_keeps_answering_when_redis_goes_away(tmp_path, database):
    redis = OwnRedis(tmp_path)
    redis.start()
    (server,) = _servers(
        tmp_path, f"redis://127.0.0.1:{redis.port}/0", database, count=1, API_RATE_LIMIT="3/hour"
    )
    pages = """
    client = Client()
    result = [client.get(path, REMOTE_ADDR="192.0.2.77").status_code
              for path in ("/", "/api/v1/kinds/", "/api/v1/kinds/")]
    """
    try:
        assert server.run(pages) == [200, 200, 200]
        redis.stop()
        assert server.run(pages) == [200, 200, 200], (
            "with Redis gone, pages must still answer (the cache is a miss, limits let through)"
        )
        assert server.run("result = cache.get('anything', 'default')") == "default"
        redis.start()
        server.run("import time; time.sleep(2.1)")  # past the pause after a failure
        # Back: the limit counts again, from where Redis (emptied) starts over.
        statuses = server.run(
            """
            client = Client()
            result = [client.get("/api/v1/kinds/", REMOTE_ADDR="192.0.2.78").status_code
                      for _ in range(4)]
            """
        )
        assert statuses == [200, 200, 200, 429], f"limits did not count again: {statuses}"
    finally:
        server.close()
        if redis.process.poll() is None:
            redis.stop()
