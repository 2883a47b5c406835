"""Django processes driven by a test: each has its own settings (the production ones, from
environment variables), its own connections and its own cache client, as a server has.

``DjangoProcess(env).run(code)`` executes ``code`` in the process and returns the value it
assigned to ``result`` (anything JSON can carry); an exception there fails the test with
the process's traceback.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]

DRIVER = textwrap.dedent(
    """
    import json, sys, traceback
    import django
    django.setup()
    from django.conf import settings
    # No collectstatic for these processes: static names without the manifest's hashes.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    namespace = {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        namespace["result"] = None
        try:
            exec(json.loads(line), namespace)
            answer = {"result": namespace["result"]}
        except Exception:
            answer = {"error": traceback.format_exc()}
        print(json.dumps(answer, default=str), flush=True)
    """
)


def required_env(name: str) -> str:
    """A variable the test command exports for this stage; its absence fails the test."""
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run these tests through ./dev test (stage « Pile »)")
    return value


def production_env(tmp_path, **extra) -> dict:
    """The production settings (DEBUG off) for a process of the test client's kind."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "CACHE_URL", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        TOUTPRES_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="stack-test-secret",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class DjangoProcess:
    def __init__(self, env: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        assert line and json.loads(line) == {"ready": True}, "the Django process did not start"

    def run(self, code: str):
        self.send(code)
        return self.receive()

    def send(self, code: str):
        """Start ``code`` without waiting for it (receive() gets its result)."""
        self.process.stdin.write(json.dumps(textwrap.dedent(code)) + "\n")
        self.process.stdin.flush()

    def receive(self):
        line = self.process.stdout.readline()
        assert line, "the Django process died"
        answer = json.loads(line)
        if "error" in answer:
            pytest.fail(f"in the Django process:\n{answer['error']}")
        return answer["result"]

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sql(port, query, dbname="postgres"):
    """Run ``query`` as the superuser on the test cluster at ``port`` (autocommit)."""
    connection = psycopg2.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=dbname, connect_timeout=5
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


_migrated = {}


def migrated_database(tmp_path, name: str = "stack_app") -> str:
    """A database on the test command's primary, made and migrated once per test run."""
    if name in _migrated:
        return _migrated[name]
    port = required_env("TOUTPRES_TEST_PRIMARY_PORT")
    sql(port, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sql(port, f"CREATE DATABASE {name} OWNER toutpres")
    sql(port, "CREATE EXTENSION postgis", name)
    url = f"postgis://toutpres:toutpres@127.0.0.1:{port}/{name}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env(tmp_path, DATABASE_URL=url),
        check=True,
    )
    _migrated[name] = url
    return url
