"""PostgreSQL restarts under load: the stack answers 503 (Retry-After, the French page),
never 500 or 502, recovers by itself, and no registration step is lost.

Eight clients keep reading pages (home, a search, a listing) while four people register,
step by step, each from their own address; meanwhile the test PostgreSQL restarts (fast
shutdown: every session is cut). A step answered 503 is sent again, as the browser's
« resend » does; at the end every registration must be complete, once, in the database.
"""

import json
import re
import threading
import time
import uuid

import psycopg2

from tests.stack.http import StackClient

READERS = 8
REGISTRANTS = 4
PER_REGISTRANT = 2
RECOVERY_SECONDS = 20
MAX_SECONDS = 120  # the whole load stops by itself after this, whatever happens
OUTAGE_TITLE = "Service momentanément indisponible"


def database(url: str):
    parts = re.match(r"postgis://([^:]+):([^@]+)@([^:]+):(\d+)/(\w+)", url)
    user, password, host, port, name = parts.groups()
    connection = psycopg2.connect(
        host=host, port=port, user=user, password=password, dbname=name, connect_timeout=5
    )
    connection.autocommit = True
    return connection


def rows(url: str, query: str, params=()):
    connection = database(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


class Log:
    """Every answer the clients got: (path, status, problem or "")."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []

    def add(self, method, path, answer):
        problem = ""
        if answer.status == 503:
            if not answer.headers.get("Retry-After", "").isdigit():
                problem = "503 without Retry-After"
            elif "/api/" not in path and OUTAGE_TITLE not in answer.text:
                problem = "503 without the French page"
        elif answer.status not in (200, 301, 302, 303):
            problem = f"status {answer.status}: {answer.text[:300]!r}"
        with self.lock:
            self.answers.append((f"{method} {path}", answer.status, problem))

    def problems(self):
        with self.lock:
            return [a for a in self.answers if a[2]]

    def count(self, status):
        with self.lock:
            return sum(1 for a in self.answers if a[1] == status)


def replayed(client, log, method, path, data=None, deadline=None):
    """Send until the answer is not a 503 (the browser's resend), waiting as Retry-After says
    (capped at one second so the test stays short)."""
    while True:
        try:
            answer = client.post(path, data) if method == "POST" else client.get(path)
        except OSError as error:  # nginx itself must never fail
            log.answers.append((f"{method} {path}", 0, f"connection failed: {error}"))
            raise
        log.add(method, path, answer)
        if answer.status != 503:
            return answer
        assert time.monotonic() < deadline, f"{method} {path}: still 503 at the deadline"
        time.sleep(min(1.0, int(answer.headers.get("Retry-After", "1"))))


def formset(prefix, rows_):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows_)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows_):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def register(client, log, who: dict, category: int, deadline: float, pause: float) -> str:
    """Walk every step as a producer would, resending what got a 503; returns the end."""
    page = replayed(client, log, "GET", "/inscription/", deadline=deadline)
    assert page.status == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    identity = {
        "token": token,
        "name": who["name"],
        "kind": "producer",
        "commune_name": "Olivet (45160)",
        "description": "Fromages de chèvre au lait cru.",
        "contact_name": "Marie Dupont",
        "contact_email": who["email"],
        "contact_phone": "06 12 34 56 78",
        "company_url": "",
    }
    answer = replayed(client, log, "POST", "/inscription/", identity, deadline)
    assert answer.status == 302, answer.text[:2000]
    pk = re.search(r"/mes-fiches/(\d+)/quoi/", answer.headers["Location"]).group(1)
    steps = [
        ("quoi", {"categories": [str(category)], "products": "Crottins"}),
        (
            "ou",
            {
                "address": "12 chemin des Aulnes",
                "postal_code": "45160",
                "commune_name": "Olivet (45160)",
                "latitude": who["lat"],
                "longitude": "1.8990",
            },
        ),
        (
            "quand",
            formset("slots", [{"weekday": "5", "opens": "09:00", "closes": "12:00"}])
            | formset("seasons", [])
            | formset("exceptions", []),
        ),
        ("comment", formset("links", [])),
        (
            "contacts",
            {"phone": "02 38 00 00 00", "website": "chevre.example"} | formset("photos", []),
        ),
        ("envoi", {"consent": "on"}),
    ]
    for slug, data in steps:
        time.sleep(pause)
        answer = replayed(client, log, "POST", f"/mes-fiches/{pk}/{slug}/", data, deadline)
        assert answer.status == 302, f"step {slug}: {answer.status} {answer.text[:1500]}"
    return pk


def test_a_postgresql_restart_under_load(
    stack_url, stack_database_url, restart_postgresql, insecure_tls
):
    (slug,) = rows(
        stack_database_url,
        "SELECT slug FROM directory_actor WHERE status = 'published' ORDER BY id LIMIT 1",
    )[0]
    (cheese,) = rows(
        stack_database_url, "SELECT id FROM directory_category WHERE slug = 'fromage-laitier'"
    )[0]
    pages = ["/", "/?where=Blois", f"/acteurs/{slug}/"]
    log = Log()
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + MAX_SECONDS
    errors = []

    def read(n):
        client = StackClient(stack_url, insecure_tls, client_address=f"198.51.100.{n + 1}")
        i = n
        while not stop.is_set() and time.monotonic() < deadline:
            path = pages[i % len(pages)]
            i += 1
            try:
                log.add("GET", path, client.get(path))
            except OSError as error:
                log.answers.append((f"GET {path}", 0, f"connection failed: {error}"))

    run = uuid.uuid4().hex[:8]
    people = [
        {
            "name": f"Chèvrerie {run} {n}",
            "email": f"chevre-{run}-{n}@example.org",
            "lat": f"47.85{n:02d}",
        }
        for n in range(REGISTRANTS * PER_REGISTRANT)
    ]
    done = {}

    def registrant(n):
        client = StackClient(stack_url, insecure_tls, client_address=f"203.0.113.{n + 1}")
        try:
            for who in people[n::REGISTRANTS]:
                done[who["name"]] = register(client, log, who, cheese, deadline, pause=0.4)
        except BaseException as error:  # reported below, with the answers seen
            errors.append(f"registrant {n}: {error!r}")

    readers = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    registrants = [threading.Thread(target=registrant, args=(n,)) for n in range(REGISTRANTS)]
    try:
        for thread in readers:
            thread.start()
        for n, thread in enumerate(registrants):
            thread.start()
            time.sleep(0.2 * n)
        time.sleep(1.0)
        restart_postgresql()  # returns once PostgreSQL accepts connections again
        back = time.monotonic()
        # Recovery: the site answers by itself, without anyone restarting gunicorn.
        probe = StackClient(stack_url, insecure_tls)
        recovered = None
        while time.monotonic() - back < RECOVERY_SECONDS:
            if probe.get("/sante/").status == 200 and probe.get("/").status == 200:
                recovered = time.monotonic() - back
                break
            time.sleep(0.2)
        for thread in registrants:
            thread.join(timeout=max(1, deadline - time.monotonic()))
        time.sleep(1.0)  # a last second of reading on the recovered site
    finally:
        stop.set()
        for thread in readers + registrants:
            thread.join(timeout=30)

    print(
        f"\n{len(log.answers)} answers, {log.count(503)} of them 503, site back "
        f"{recovered if recovered is None else round(recovered, 1)} s after the restart"
    )
    problems = log.problems()
    assert not problems, f"{len(problems)} bad answers, e.g. {problems[:10]}"
    assert not errors, errors
    assert recovered is not None, f"the site had not recovered {RECOVERY_SECONDS} s later"
    assert log.count(503) > 0, (
        "no 503 at all: the restart went unnoticed, so this test proved nothing "
        f"({len(log.answers)} answers)"
    )
    assert log.count(500) == log.count(502) == 0

    # Every registration reached its end, with all its data, once.
    assert len(done) == len(people), f"registrations finished: {sorted(done)}"
    for who in people:
        found = rows(
            stack_database_url,
            "SELECT id, status, submitted_at IS NOT NULL, consent_at IS NOT NULL, "
            "location_checked, ST_Y(location::geometry), contact_email, phone, website "
            "FROM directory_actor WHERE name = %s",
            (who["name"],),
        )
        assert len(found) == 1, f"{who['name']}: {len(found)} listings"
        pk, status, submitted, consented, checked, lat, email, phone, website = found[0]
        assert (status, submitted, consented, checked) == ("draft", True, True, True), found
        assert abs(lat - float(who["lat"])) < 1e-6 and email == who["email"]
        assert (phone, website) == ("02 38 00 00 00", "https://chevre.example")
        assert rows(
            stack_database_url,
            "SELECT category_id FROM directory_actor_categories WHERE actor_id = %s",
            (pk,),
        ) == [(cheese,)]
        slots = rows(
            stack_database_url,
            "SELECT weekday FROM directory_openingslot WHERE actor_id = %s",
            (pk,),
        )
        assert slots == [(5,)], f"{who['name']}: opening slots {slots} (lost or doubled)"
        events = rows(
            stack_database_url,
            "SELECT action FROM directory_moderationevent WHERE actor_id = %s",
            (pk,),
        )
        assert events == [("submitted",)], f"{who['name']}: events {events}"
        mails = [
            json.loads(args) if isinstance(args, str) else args
            for (args,) in rows(
                stack_database_url,
                "SELECT args_kwargs FROM django_tasks_database_dbtaskresult "
                "WHERE task_path LIKE %s AND args_kwargs::text LIKE %s",
                ("%deliver", f"%{who['email']}%"),
            )
        ]
        subjects = sorted(m["args"][0]["subject"] for m in mails)
        assert len(subjects) == 2 and subjects[0].startswith("Confirmez"), (
            f"{who['name']}: e-mails queued {subjects} (one to resume, one to confirm)"
        )
