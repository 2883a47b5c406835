"""manage.py backup / restore (directory.backup), on the backend of the run: back up committed
data, restore it into a NEW database and new folders in another process, and compare every
table (row count and a checksum of all its rows, geometries included) and every file."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from directory.models import Actor

ROOT = Path(__file__).resolve().parents[2]
VERSION_TABLE = "directory_dataversion"


def _tables(cursor, vendor) -> list[str]:
    if vendor == "sqlite":
        # Virtual tables (SpatiaLite's) hold no rows of their own; R-tree indexes are
        # compared through their shadow tables.
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    return [row[0] for row in cursor.fetchall()]


def _fingerprint(cursor, vendor) -> dict:
    """{table: (rows, sha256 of every row in a stable order)} of a database."""
    result = {}
    for table in _tables(cursor, vendor):
        if vendor == "sqlite":
            # quote(): each value as SQL text, so no type converter of the connection applies.
            cursor.execute(f'PRAGMA table_info("{table}")')
            columns = ", ".join(f'quote("{row[1]}")' for row in cursor.fetchall())
            cursor.execute(f'SELECT {columns} FROM "{table}"')  # noqa: S608 (catalogue names)
        else:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (catalogue names)
        rows = sorted(
            repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
            for row in cursor.fetchall()
        )
        result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def _files(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def restored_database(tmp_path, settings):
    """A new, empty database of the run's backend: (DATABASE_URL, a DB-API connection maker)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"

        def connect_sqlite():
            c = sqlite3.connect(path)
            c.enable_load_extension(True)
            c.load_extension(settings.SPATIALITE_LIBRARY_PATH)
            return c

        yield f"spatialite:///{path}", connect_sqlite
        return
    s = connection.settings_dict
    name = f"restored_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    url = f"postgis://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{name}"

    def connect():
        c = psycopg2.connect(
            host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"], dbname=name
        )
        c.autocommit = True
        return c

    yield url, connect
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _restore(tmp_path, url, backup_dir, *args):
    env = dict(
        os.environ,
        DATABASE_URL=url,
        TOUTPRES_VAR_DIR=str(tmp_path / "var-new"),
        MEDIA_ROOT=str(tmp_path / "media-new"),
        IMPORT_DIR=str(tmp_path / "imports-new"),
    )
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_identical(
    make_actor, settings, tmp_path, restored_database
):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "photos").mkdir(parents=True)
    (settings.MEDIA_ROOT / "photos" / "ferme.jpg").write_bytes(b"\xff\xd8photo")
    (settings.TOUTPRES_IMPORT_DIR / "liste.csv").write_text("nom;commune\nFerme;Orléans\n")
    make_actor(name="Ferme des Saules", lat=47.91, lon=1.91)
    make_actor(name="Épicerie du Port", lat=47.37, lon=0.69)
    target = tmp_path / "sauvegarde"
    call_command("backup", str(target))
    manifest = json.loads((target / "manifest.json").read_text())
    assert set(manifest["sha256"]) >= {"files.tar.gz"}
    assert any(m.startswith("directory.") for m in manifest["migrations"])

    url, connect = restored_database
    result = _restore(tmp_path, url, target)
    assert result.returncode == 0, result.stderr

    with connection.cursor() as cursor:
        original = _fingerprint(cursor, connection.vendor)
    restored_connection = connect()
    try:
        restored = _fingerprint(restored_connection.cursor(), connection.vendor)
    finally:
        restored_connection.close()
    assert original["directory_actor"][0] == 2, "the backup did not hold the committed listings"
    # The data version alone moves on, past every number a cache may have seen
    # (tests/directory/test_backup.py::test_a_restore_moves_the_data_version_past_every_cache).
    differing = {t for t in original if original[t] != restored.get(t)} - {VERSION_TABLE}
    assert not differing, f"tables that differ after restore: {sorted(differing)}"
    assert _files(tmp_path / "media-new") == _files(settings.MEDIA_ROOT)
    assert _files(tmp_path / "imports-new") == _files(settings.TOUTPRES_IMPORT_DIR)

    # A second restore over the now full database is refused without --force.
    again = _restore(tmp_path, url, target)
    assert again.returncode != 0 and "--force" in again.stderr, again.stderr
    assert Actor.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused(make_actor, tmp_path, restored_database):
    make_actor()
    target = tmp_path / "sauvegarde"
    call_command("backup", str(target))
    with (target / "files.tar.gz").open("ab") as f:
        f.write(b"garbage")
    url, _ = restored_database
    result = _restore(tmp_path, url, target)
    assert result.returncode != 0 and "damaged" in result.stderr, result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_restore_moves_the_data_version_past_every_cache(make_actor, tmp_path, restored_database):
    # Tiles are cached (nginx, Redis, CDNs) under the data version: a restore that brought
    # back the backup's older number would serve the tiles of the numbers that followed it.
    from directory import dataversion

    make_actor(name="Ferme des Saules", lat=47.91, lon=1.91)
    target = tmp_path / "sauvegarde"
    call_command("backup", str(target))
    backed_up = dataversion.current()
    for _ in range(3):
        make_actor(name="Écrite après la sauvegarde", lat=47.5, lon=1.5)
    seen = dataversion.current()
    assert seen > backed_up

    url, connect = restored_database
    started = int(time.time())
    result = _restore(tmp_path, url, target)
    assert result.returncode == 0, result.stderr
    restored_connection = connect()
    try:
        cursor = restored_connection.cursor()
        cursor.execute(f"SELECT value FROM {VERSION_TABLE} WHERE name = 'data'")  # noqa: S608
        (value,) = cursor.fetchone()
    finally:
        restored_connection.close()
    assert value > max(seen, started), (
        f"after a restore the data version is {value}: caches saw up to {seen}, so tiles "
        "cached under the following numbers would come back for other data"
    )
