"""Benchmark: concurrent registrations against a running server, with double submits.

Usage:
    .venv/bin/python bench/registrations.py [--registrations 50] [--database-url URL]

Starts `manage.py runserver` (threaded, like the development server people use, or a WSGI
server's threads) on a free port against a fresh database (a temporary SpatiaLite file, or
--database-url, which must be empty and migrated). Then N browsers-like clients register at
once. Each one walks the real forms (CSRF, token, steps) and sends its first step TWICE at
the same time, as an impatient double click does. At the end, it checks that:
  - exactly N listings exist, one per registrant (double submits created nothing more);
  - every listing has its categories, its checked position and its submission;
  - every registrant got their two e-mails (resume link, confirmation link).
and prints timings (median and slowest registration, total).
"""

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RETRIES = {"count": 0}


def retrying(call):
    """runserver listens with a backlog of 10: beyond, connections are reset before Django
    sees them. A person would press the button again; so does this client (counted)."""
    for attempt in range(5):
        try:
            return call()
        except (ConnectionResetError, urllib.error.URLError) as error:
            if isinstance(error, urllib.error.HTTPError) or attempt == 4:
                raise
            RETRIES["count"] += 1
            time.sleep(0.2 * (attempt + 1))


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        def call():
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.geturl(), r.read().decode()

        return retrying(call)

    def post(self, path: str, data: dict, opener=None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Referer", self.base + path)

        def call():
            try:
                with (opener or self.opener).open(request, timeout=60) as r:
                    return r.status, r.geturl(), r.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, path, error.read().decode()

        return retrying(call)

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def register(base: str, i: int, category: str) -> float:
    started = time.perf_counter()
    b = Browser(base)
    _, _, html = b.get("/inscription/")
    data = {
        "csrfmiddlewaretoken": b.csrf(),
        "token": field(html, "token"),
        "name": f"Ferme du banc d'essai {i:03d}",
        "kind": "producer",
        "commune_name": "Olivet (45160)",
        "contact_name": f"Personne {i}",
        "contact_email": f"producteur{i:03d}@example.org",
        "company_url": "",
    }
    # The double click: the same first step twice at once, from the same browser session.
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: b.post("/inscription/", data), range(2)))
    urls = {url for status, url, _ in answers}
    assert all(status == 200 for status, _, _ in answers), [a[0] for a in answers]
    assert len(urls) == 1, urls  # both land on the same draft
    pk = re.search(r"/mes-fiches/(\d+)/", urls.pop()).group(1)
    steps = [
        ("quoi", {"categories": category, "products": "Légumes"}),
        (
            "ou",
            {
                "address": f"{i} route d'essai",
                "postal_code": "45160",
                "commune_name": "Olivet (45160)",
                "latitude": f"{47.80 + i / 10000:.6f}",
                "longitude": f"{1.85 + i / 10000:.6f}",
            },
        ),
        ("envoi", {"consent": "on"}),
    ]
    for slug, values in steps:
        status, _, page = b.post(
            f"/mes-fiches/{pk}/{slug}/", {"csrfmiddlewaretoken": b.csrf(), **values}
        )
        assert status == 200, (slug, status, page[:300])
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="toutpres-bench-"))
    mails = work / "mails"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": args.database_url or f"spatialite:///{work / 'bench.sqlite3'}",
        "EMAIL_URL": "filemail://",
        "EMAIL_FILE_PATH": str(mails),
        "RATE_LIMIT_PER_IP": "0",  # every client comes from 127.0.0.1 here
        "RATE_LIMIT_PER_EMAIL": "0",
        "GEOCODER": "offline",
    }
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "import_territories", "-v", "0"], env=env, check=True)
    port = free_port()
    log = open(work / "server.log", "w")  # noqa: SIM115 (closed with the server below)
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env={**env, "LOG_LEVEL": "ERROR"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/inscription/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        _, _, html = Browser(base).get("/inscription/")
        durations: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def one(i):
            try:
                seconds = register(base, i, category="1")
                with lock:
                    durations.append(seconds)
            except Exception as error:  # reported below: the bench must say what failed
                with lock:
                    errors.append(f"{i}: {error!r}")

        started = time.perf_counter()
        with ThreadPoolExecutor(args.registrations) as pool:
            list(pool.map(one, range(args.registrations)))
        total = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    check = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from directory.models import Actor\n"
            "qs = Actor.objects.filter(name__startswith='Ferme du banc')\n"
            "print(qs.count(), qs.values('name').distinct().count(),"
            " qs.filter(submitted_at__isnull=False, location_checked=True).count(),"
            " qs.filter(categories__isnull=False).distinct().count())",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # The last line: "shell" may print notices (imported objects…) before it.
    listings, distinct, submitted, with_categories = map(
        int, check.stdout.strip().splitlines()[-1].split()
    )
    # Django's file backend appends each message and a line of 79 dashes to a file named by
    # the second and the connection: two messages may share a file, so count messages.
    separator = "-" * 79
    sent = sum(
        1
        for path in (mails.glob("*") if mails.exists() else [])
        for line in path.read_text(errors="replace").splitlines()
        if line == separator
    )
    n = args.registrations
    print(
        f"backend={env['DATABASE_URL'].split(':')[0]} registrations={n} concurrent "
        f"(each with a double submit of its first step)\n"
        f"  errors            {len(errors)}   (connections reset by runserver and sent again: "
        f"{RETRIES['count']})\n"
        f"  listings          {listings} (distinct names {distinct}; expected {n})\n"
        f"  fully submitted   {submitted}   with categories {with_categories}\n"
        f"  e-mails           {sent} (expected {2 * n})\n"
        f"  per registration  median {statistics.median(durations or [0]):.2f} s, "
        f"slowest {max(durations or [0]):.2f} s; all {n} in {total:.1f} s"
    )
    for error in errors[:10]:
        print("  !", error)
    if errors:
        print(f"  server log: {work / 'server.log'}")
    ok = not errors and listings == distinct == submitted == with_categories == n and sent == 2 * n
    print("  result            " + ("nothing lost, no duplicates" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
