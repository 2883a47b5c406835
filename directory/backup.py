"""Backups that are known to restore: the database, the media, the private import files and
the secret key, with a manifest that a restore checks first (manage.py backup / restore).

A backup is a folder:

- ``database.dump`` (PostGIS: ``pg_dump -Fc``) or ``database.sqlite3`` (SpatiaLite: the
  online backup API, consistent while the site runs);
- ``files.tar.gz``: ``media/`` (MEDIA_ROOT), ``imports/`` (IMPORT_DIR) and ``secret_key``
  (var/secret_key, when the key is not given by SECRET_KEY);
- ``manifest.json``: date, application version, backend, applied migrations and the
  SHA-256 of each part.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils.timezone import now

MANIFEST = "manifest.json"
FILES = "files.tar.gz"


class BackupError(Exception):
    """A backup or restore that must not go on; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_postgis(connection) -> bool:
    return connection.vendor == "postgresql"


def _pg_env(settings_dict) -> tuple[list[str], dict]:
    args = ["-h", settings_dict["HOST"] or "localhost", "-p", str(settings_dict["PORT"] or 5432)]
    if settings_dict["USER"]:
        args += ["-U", settings_dict["USER"]]
    env = dict(os.environ)
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def _secret_key_file() -> Path:
    return settings.VAR_DIR / "secret_key"


def _version() -> str:
    try:
        return metadata.version("tout-pres")
    except metadata.PackageNotFoundError:
        return "unknown"


def backup(target: Path, using: str = "default") -> dict:
    """Write a backup into ``target`` (a new or empty folder); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: each backup goes to a folder of its own.")
    target.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    if _is_postgis(connection):
        database = target / "database.dump"
        args, env = _pg_env(connection.settings_dict)
        # PostgreSQL's own client from PATH; arguments from the settings, no shell.
        subprocess.run(  # noqa: S603
            ["pg_dump", "-Fc", *args, "-f", str(database), connection.settings_dict["NAME"]],  # noqa: S607
            env=env,
            check=True,
        )
    else:
        database = target / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(database)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    files = target / FILES
    with tarfile.open(files, "w:gz") as archive:
        for name, folder in (
            ("media", settings.MEDIA_ROOT),
            ("imports", settings.TOUTPRES_IMPORT_DIR),
        ):
            if Path(folder).is_dir():
                archive.add(folder, arcname=name)
        if _secret_key_file().is_file():
            archive.add(_secret_key_file(), arcname="secret_key")
    applied = MigrationRecorder(connection).applied_migrations()
    manifest = {
        "created": now().isoformat(),
        "version": _version(),
        "backend": "postgis" if _is_postgis(connection) else "spatialite",
        "migrations": sorted(f"{app}.{name}" for app, name in applied),
        "sha256": {part.name: _sha256(part) for part in (database, files)},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def verify(source: Path) -> dict:
    """The manifest of the backup in ``source``, once every part matches its checksum."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        parts = manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(f"No readable manifest in {source}: {error}") from error
    for name, expected in parts.items():
        path = source / name
        if Path(name).name != name or not path.is_file() or _sha256(path) != expected:
            raise BackupError(f"{name} does not match the manifest: the backup is damaged.")
    return manifest


def _database_is_empty(connection) -> bool:
    return "django_migrations" not in connection.introspection.table_names()


def _extract(archive: tarfile.TarFile, folder: Path) -> None:
    """Regular files and folders only, inside ``folder`` (no links, no ``..``, no devices)."""
    for member in archive.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts:
            raise BackupError(f"Unsafe path in the archive: {member.name}")
        if member.isdir():
            (folder / path).mkdir(parents=True, exist_ok=True)
        elif member.isfile():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as data, (folder / path).open("wb") as out:
                shutil.copyfileobj(data, out)
        else:
            raise BackupError(f"Not a regular file in the archive: {member.name}")


def restore(source: Path, using: str = "default", force: bool = False) -> dict:
    """Restore the backup in ``source`` into the configured database and folders."""
    source = Path(source)
    manifest = verify(source)
    connection = connections[using]
    backend = "postgis" if _is_postgis(connection) else "spatialite"
    if manifest.get("backend") != backend:
        raise BackupError(f"This is a {manifest.get('backend')} backup; the database is {backend}.")
    if not force and not _database_is_empty(connection):
        raise BackupError(
            "The database is not empty: restore into a new database, or add --force to "
            "replace what it holds."
        )
    if backend == "postgis":
        args, env = _pg_env(connection.settings_dict)
        connection.close()
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                *args,
                "-d",
                connection.settings_dict["NAME"],
                str(source / "database.dump"),
            ],
            env=env,
            check=True,
        )
    else:
        connection.ensure_connection()
        origin = sqlite3.connect(source / "database.sqlite3")
        try:
            origin.backup(connection.connection)
        finally:
            origin.close()
    with tarfile.open(source / FILES, "r:gz") as archive:
        staging = Path(settings.VAR_DIR) / ".restore"
        shutil.rmtree(staging, ignore_errors=True)
        _extract(archive, staging)
    for name, folder in (("media", settings.MEDIA_ROOT), ("imports", settings.TOUTPRES_IMPORT_DIR)):
        if (staging / name).is_dir():
            shutil.copytree(staging / name, folder, dirs_exist_ok=True)
    if (staging / "secret_key").is_file():
        _secret_key_file().parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(staging / "secret_key", _secret_key_file())
        _secret_key_file().chmod(0o600)
    shutil.rmtree(staging, ignore_errors=True)
    return manifest
