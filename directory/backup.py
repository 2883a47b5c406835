"""Backups that are known to restore: the database, the media, the private import files and
the secret key, with a manifest that a restore checks first (manage.py backup / restore).

A backup is a folder:

- ``database.dump`` (PostGIS: ``pg_dump -Fc``) or ``database.sqlite3`` (SpatiaLite: the
  online backup API, consistent while the site runs);
- ``files.tar.gz``: ``media/`` (MEDIA_ROOT), ``imports/`` (IMPORT_DIR) and ``secret_key``
  (var/secret_key, when the key is not given by SECRET_KEY);
- ``manifest.json``: date, application version, backend, applied migrations, the SHA-256 of
  each part and the links left out of the archive (``skipped``).

The folder is 0700 and every part 0600 whatever the umask: the archive holds the secret key
and the partners' private contacts. MEDIA_ROOT and IMPORT_DIR are archived by content, links
followed as long as they stay inside the (resolved) folder. A restore checks the manifest,
then extracts the whole archive to a private staging folder (``var/.restore``, removed even
on failure) before it touches the database, so a bad archive changes nothing.
"""

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
import zlib
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.timezone import now

MANIFEST = "manifest.json"
FILES = "files.tar.gz"
# The parts a backup of each backend holds, no more, no less (verify()).
DATABASE_PART = {"postgis": "database.dump", "spatialite": "database.sqlite3"}
# Top-level names of the files archive; "imports" and "secret_key" are private.
ARCHIVED = {"media", "imports", "secret_key"}
PRIVATE = {"imports", "secret_key"}


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


def _private_file(path: Path) -> int:
    """A new file only its owner can read, whatever the umask: an open descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def _archive_folder(archive: tarfile.TarFile, folder: Path, name: str, skipped: list) -> None:
    """The contents of ``folder`` under ``name``: the folder itself resolved (it may be a link
    to another disk), links inside it followed to regular files and folders that stay inside
    it; anything else (links out of it, broken links, loops, sockets, devices) is left out
    and listed in ``skipped``."""
    root = Path(folder).resolve()
    if not root.is_dir():
        return

    def walk(directory: Path, arcname: str, ancestors: frozenset) -> None:
        archive.add(directory, arcname=arcname, recursive=False)
        with os.scandir(directory) as entries:
            children = sorted(entries, key=lambda entry: entry.name)
        for entry in children:
            path = Path(entry.path)
            member = f"{arcname}/{entry.name}"
            if entry.is_symlink():
                real = path.resolve()
                if not real.exists():
                    skipped.append(f"{member}: broken link")
                    continue
                if not real.is_relative_to(root):
                    skipped.append(f"{member}: link out of {name} ({real})")
                    continue
                if real in ancestors:
                    skipped.append(f"{member}: link loop")
                    continue
                path = real
            if path.is_dir():
                walk(path.resolve(), member, ancestors | {path.resolve()})
            elif path.is_file():
                archive.add(path, arcname=member, recursive=False)
            else:
                skipped.append(f"{member}: not a regular file")

    walk(root, name, frozenset({root}))


def backup(target: Path, using: str = "default") -> dict:
    """Write a backup into ``target`` (a new or empty folder); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: each backup goes to a folder of its own.")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.chmod(0o700)
    connection = connections[using]
    if _is_postgis(connection):
        database = target / "database.dump"
        # pg_dump writes into the private file made here (it truncates, keeps the mode).
        os.close(_private_file(database))
        args, env = _pg_env(connection.settings_dict)
        # PostgreSQL's own client from PATH; arguments from the settings, no shell.
        subprocess.run(  # noqa: S603
            ["pg_dump", "-Fc", *args, "-f", str(database), connection.settings_dict["NAME"]],  # noqa: S607
            env=env,
            check=True,
        )
    else:
        database = target / "database.sqlite3"
        # An empty file is an empty SQLite database; its journal takes the same mode.
        os.close(_private_file(database))
        connection.ensure_connection()
        destination = sqlite3.connect(database)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    database.chmod(0o600)
    files = target / FILES
    skipped: list[str] = []
    with (
        os.fdopen(_private_file(files), "wb") as out,
        # dereference: each file stored as a regular file, hard links included.
        tarfile.open(fileobj=out, mode="w:gz", dereference=True) as archive,
    ):
        _archive_folder(archive, settings.MEDIA_ROOT, "media", skipped)
        _archive_folder(archive, settings.TOUTPRES_IMPORT_DIR, "imports", skipped)
        if _secret_key_file().is_file():
            archive.add(_secret_key_file().resolve(), arcname="secret_key", recursive=False)
    applied = MigrationRecorder(connection).applied_migrations()
    manifest = {
        "created": now().isoformat(),
        "version": _version(),
        "backend": "postgis" if _is_postgis(connection) else "spatialite",
        "migrations": sorted(f"{app}.{name}" for app, name in applied),
        "sha256": {part.name: _sha256(part) for part in (database, files)},
        "skipped": skipped,
    }
    with os.fdopen(_private_file(target / MANIFEST), "w") as out:
        out.write(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def verify(source: Path) -> dict:
    """The manifest of the backup in ``source``, once every part matches its checksum."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        parts = dict(manifest["sha256"])
        expected_parts = {DATABASE_PART[manifest["backend"]], FILES}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(f"No readable manifest in {source}: {error}") from error
    # The parts are fixed by the backend: a manifest cannot leave one out, nor add one.
    missing, unknown = sorted(expected_parts - set(parts)), sorted(set(parts) - expected_parts)
    if missing:
        raise BackupError(f"{missing[0]} is not in the manifest: the backup is damaged.")
    if unknown:
        raise BackupError(f"Unexpected part {unknown[0]} in the manifest: the backup is damaged.")
    for name in sorted(expected_parts):
        path = source / name
        if path.is_symlink() or not path.is_file() or _sha256(path) != parts[name]:
            raise BackupError(f"{name} does not match the manifest: the backup is damaged.")
    return manifest


def _database_is_empty(connection) -> bool:
    return "django_migrations" not in connection.introspection.table_names()


def _extract(archive: tarfile.TarFile, folder: Path) -> None:
    """Regular files and folders only, inside ``folder`` (no links, no ``..``, no devices,
    only the top-level names a backup writes). Everything is checked before anything is
    written; private parts are written 0600 (folders 0700), media keep their archived mode."""
    members = archive.getmembers()
    for member in members:
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise BackupError(f"Unsafe path in the archive: {member.name}")
        if path.parts[0] not in ARCHIVED:
            raise BackupError(f"Unexpected name in the archive: {member.name}")
        if not (member.isdir() or member.isfile()):
            raise BackupError(f"Not a regular file in the archive: {member.name}")
        if path.parts[0] == "secret_key" and not (member.isfile() and len(path.parts) == 1):
            raise BackupError(f"Unexpected name in the archive: {member.name}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        for member in members:
            path = Path(member.name)
            private = path.parts[0] in PRIVATE
            target = folder / path
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True, mode=0o700)
                target.chmod(0o700 if private else (member.mode & 0o755) | 0o700)
                continue
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if target.exists() or target.is_symlink():
                target.unlink()
            with (
                archive.extractfile(member) as data,
                os.fdopen(_private_file(target), "wb") as out,
            ):
                shutil.copyfileobj(data, out)
            target.chmod(0o600 if private else (member.mode & 0o755) | 0o600)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        raise BackupError(f"The archive cannot be extracted: {error}") from error


def _restore_database(connection, source: Path, backend: str) -> None:
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


def _move(source: Path, destination: Path) -> None:
    """``source`` (a staged file) replaces ``destination``, mode kept; across disks through
    a private temporary file next to it, so no one sees a half-written or readable file."""
    try:
        os.replace(source, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        temporary = destination.with_name(f".{destination.name}.restoring")
        temporary.unlink(missing_ok=True)
        with source.open("rb") as data, os.fdopen(_private_file(temporary), "wb") as out:
            shutil.copyfileobj(data, out)
        shutil.copymode(source, temporary)
        os.replace(temporary, destination)


def _place(staged: Path, folder: Path) -> None:
    """Move the staged tree into ``folder`` (merged with what it holds), folder modes kept."""
    for directory, _, names in os.walk(staged):
        relative = Path(directory).relative_to(staged)
        destination = Path(folder) / relative
        destination.mkdir(parents=True, exist_ok=True, mode=0o700)
        if relative.parts or not Path(folder).is_symlink():
            shutil.copymode(directory, destination)
        for name in names:
            _move(Path(directory) / name, destination / name)


def _data_version_or_zero(using: str) -> int:
    """The data version before a restore (0 in a new, empty database)."""
    from . import dataversion

    try:
        with transaction.atomic(using=using):
            return dataversion.current(using=using)
    except DatabaseError:
        return 0


def _advance_data_version(using: str, before: int) -> None:
    """After a restore, the data version moves past every number caches may have seen.

    The backup brings back its own, older number: the map's tiles cached in nginx, Redis or a
    CDN under the numbers that followed it would be served again for different data. The
    new number is past the backup's, the replaced database's, and the clock's seconds (for
    caches that outlived a database they were not told about, as on a new server).
    """
    from . import dataversion
    from .models import DataVersion

    restored = _data_version_or_zero(using)
    value = max(restored, before, int(time.time())) + 1
    DataVersion.objects.using(using).update_or_create(
        name=dataversion.DATA, defaults={"value": value}
    )


def restore(source: Path, using: str = "default", force: bool = False) -> dict:
    """Restore the backup in ``source`` into the configured database and folders: the
    manifest and the whole archive are checked and extracted first, so a bad backup changes
    nothing; then the database, then the files."""
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
    staging = Path(settings.VAR_DIR) / ".restore"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir(mode=0o700)
        staging.chmod(0o700)
        try:
            with tarfile.open(source / FILES, "r:gz") as archive:
                _extract(archive, staging)
        except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
            raise BackupError(f"The archive cannot be read: {error}") from error
        before = _data_version_or_zero(using)
        _restore_database(connection, source, backend)
        _advance_data_version(using, before)
        for name, folder in (
            ("media", settings.MEDIA_ROOT),
            ("imports", settings.TOUTPRES_IMPORT_DIR),
        ):
            if (staging / name).is_dir():
                _place(staging / name, Path(folder))
        if (staging / "secret_key").is_file():
            _secret_key_file().parent.mkdir(parents=True, exist_ok=True)
            _move(staging / "secret_key", _secret_key_file())
            _secret_key_file().chmod(0o600)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
