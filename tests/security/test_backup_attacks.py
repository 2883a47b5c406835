"""manage.py backup / restore (directory.backup) against what goes wrong in real life and what
a damaged or crafted backup can do: media on another disk through a link, links inside the
media, a bad archive found only halfway through a restore, a manifest that leaves parts out,
a manual backup under a permissive umask. Restores run in-process over the test database
(force=True), on the backend of the run."""

import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from directory import backup as bk
from directory.models import Actor


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def folders(settings, tmp_path):
    """The app's folders in tmp_path: var (with a secret key), media, imports."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "secret_key").write_text("clé-secrète")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.TOUTPRES_IMPORT_DIR = tmp_path / "imports"
    settings.TOUTPRES_IMPORT_DIR.mkdir()
    return settings


def _restore_into_new_folders(settings, tmp_path, source):
    settings.VAR_DIR = tmp_path / "var-new"
    settings.MEDIA_ROOT = tmp_path / "media-new"
    settings.TOUTPRES_IMPORT_DIR = tmp_path / "imports-new"
    return bk.restore(source, force=True)


def _rewrite_archive(source: Path, members) -> None:
    """Replace the files archive with ``members`` [(TarInfo, bytes or None)] and update the
    manifest, as someone able to write the backup folder (or a broken backup tool) would."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    _replace_part(source, bk.FILES, buffer.getvalue())


def _replace_part(source: Path, name: str, content: bytes) -> None:
    (source / name).write_bytes(content)
    manifest = json.loads((source / bk.MANIFEST).read_text())
    manifest["sha256"][name] = hashlib.sha256(content).hexdigest()
    (source / bk.MANIFEST).write_text(json.dumps(manifest))


def _file(name: str, data: bytes) -> tuple:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


# 1. MEDIA_ROOT / IMPORT_DIR on another disk through a link; links inside the media.
@pytest.mark.django_db(transaction=True)
def test_symlinked_media_and_import_folders_are_backed_up_by_content(folders, tmp_path, make_actor):
    settings = folders
    disk, outside = tmp_path / "disk", tmp_path / "outside"
    (disk / "media" / "photos").mkdir(parents=True)
    (disk / "media" / "store").mkdir()
    (disk / "imports").mkdir()
    outside.mkdir()
    (disk / "media" / "photos" / "a.jpg").write_bytes(b"\xff\xd8 a")
    (disk / "media" / "store" / "b.jpg").write_bytes(b"\xff\xd8 b")
    (disk / "imports" / "liste.csv").write_text("nom;commune\nFerme;Orléans\n")
    (outside / "passwd").write_text("root:x:0:0")
    os.symlink(disk / "media" / "store", disk / "media" / "alias")  # folder link, inside
    os.symlink("../store/b.jpg", disk / "media" / "photos" / "c.jpg")  # file link, inside
    os.symlink(outside / "passwd", disk / "media" / "escape")  # out of MEDIA_ROOT
    os.symlink(tmp_path / "nothing", disk / "media" / "broken")
    os.symlink(disk / "media", disk / "media" / "store" / "loop")
    settings.MEDIA_ROOT.rmdir()
    settings.TOUTPRES_IMPORT_DIR.rmdir()
    os.symlink(disk / "media", settings.MEDIA_ROOT)  # var/media -> /data/media
    os.symlink(disk / "imports", settings.TOUTPRES_IMPORT_DIR)
    make_actor(name="Ferme des Saules")

    manifest = bk.backup(tmp_path / "b")
    with tarfile.open(tmp_path / "b" / bk.FILES) as archive:
        members = {m.name: m for m in archive.getmembers()}
    odd = sorted(name for name, m in members.items() if not (m.isfile() or m.isdir()))
    assert not odd, f"links or special files stored in the archive: {odd}"
    expected = {
        "media/photos/a.jpg",
        "media/photos/c.jpg",
        "media/store/b.jpg",
        "media/alias/b.jpg",
        "imports/liste.csv",
        "secret_key",
    }
    files = {name for name, m in members.items() if m.isfile()}
    assert files == expected, f"archived files: {sorted(files)}"
    skipped = " ".join(manifest["skipped"])
    for name in ("media/escape", "media/broken", "media/store/loop", "media/alias/loop"):
        assert name in skipped, f"{name} not reported as skipped: {manifest['skipped']}"

    _restore_into_new_folders(settings, tmp_path, tmp_path / "b")
    assert (tmp_path / "media-new" / "photos" / "a.jpg").read_bytes() == b"\xff\xd8 a"
    assert (tmp_path / "media-new" / "photos" / "c.jpg").read_bytes() == b"\xff\xd8 b"
    assert (tmp_path / "media-new" / "alias" / "b.jpg").read_bytes() == b"\xff\xd8 b"
    assert not (tmp_path / "media-new" / "escape").exists(), "a file out of MEDIA_ROOT came back"
    assert (tmp_path / "imports-new" / "liste.csv").read_text().startswith("nom;commune")
    assert list(Actor.objects.values_list("name", flat=True)) == ["Ferme des Saules"]


# 2. A bad archive (crafted, or from a backup tool that stored a link) changes nothing: not
#    the database, not the folders; and the staging folder does not stay behind.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", ["link", "unexpected-name", "truncated"])
def test_a_bad_archive_is_refused_before_the_database_is_touched(
    folders, tmp_path, make_actor, damage
):
    settings = folders
    (settings.MEDIA_ROOT / "a.jpg").write_bytes(b"\xff\xd8 a")
    make_actor(name="Avant")
    bk.backup(tmp_path / "b")
    if damage == "truncated":
        whole = (tmp_path / "b" / bk.FILES).read_bytes()
        _replace_part(tmp_path / "b", bk.FILES, whole[: len(whole) // 2])
    else:
        link = tarfile.TarInfo("media/zz-link" if damage == "link" else "etc/cron.d/x")
        if damage == "link":
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        _rewrite_archive(
            tmp_path / "b",
            [_file("media/a.jpg", b"\xff\xd8 a"), (link, None if damage == "link" else b"")],
        )
    Actor.objects.all().delete()
    make_actor(name="Après")

    with pytest.raises(bk.BackupError):
        _restore_into_new_folders(settings, tmp_path, tmp_path / "b")
    names = list(Actor.objects.values_list("name", flat=True))
    assert names == ["Après"], f"the database was replaced by a backup that was refused: {names}"
    assert not (tmp_path / "media-new" / "a.jpg").exists(), "files restored from a bad backup"
    assert not (tmp_path / "var-new" / ".restore").exists(), "staging folder left behind"


@pytest.mark.django_db(transaction=True)
def test_the_staging_folder_is_removed_when_the_database_restore_fails(
    folders, tmp_path, make_actor, monkeypatch
):
    settings = folders
    (settings.TOUTPRES_IMPORT_DIR / "contacts.csv").write_text("nom;courriel\nA;a@exemple.fr\n")
    make_actor()
    bk.backup(tmp_path / "b")

    def fail(*args, **kwargs):
        raise bk.BackupError("the database server went away")

    monkeypatch.setattr(bk, "_restore_database", fail)
    with pytest.raises(bk.BackupError):
        _restore_into_new_folders(settings, tmp_path, tmp_path / "b")
    staging = tmp_path / "var-new" / ".restore"
    assert not staging.exists(), f"private import files left in {staging}"
    assert not (tmp_path / "imports-new" / "contacts.csv").exists()


# 3. The manifest cannot leave a part out (nor add one): the parts are fixed by the backend.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["no-checksums", "no-database", "no-files", "extra-part"])
def test_verify_checks_every_part_of_the_backend(folders, tmp_path, make_actor, change):
    make_actor()
    manifest = bk.backup(tmp_path / "b")
    database = {"postgis": "database.dump", "spatialite": "database.sqlite3"}[manifest["backend"]]
    parts = manifest["sha256"]
    if change == "no-checksums":
        parts.clear()
        (tmp_path / "b" / database).write_bytes(b"damaged")
    elif change == "no-database":
        del parts[database]
        (tmp_path / "b" / database).write_bytes(b"damaged")
    elif change == "no-files":
        del parts[bk.FILES]
    else:
        (tmp_path / "b" / "run.sh").write_text("#!/bin/sh\n")
        parts["run.sh"] = hashlib.sha256(b"#!/bin/sh\n").hexdigest()
    (tmp_path / "b" / bk.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(bk.BackupError, match="damaged"):
        bk.verify(tmp_path / "b")


# 4. A manual backup (or restore) under umask 022 writes nothing others can read.
@pytest.mark.django_db(transaction=True)
def test_backup_and_restored_private_files_are_private_whatever_the_umask(
    folders, tmp_path, make_actor
):
    settings = folders
    (settings.TOUTPRES_IMPORT_DIR / "2026").mkdir()
    (settings.TOUTPRES_IMPORT_DIR / "2026" / "contacts.csv").write_text("nom;courriel\n")
    (settings.MEDIA_ROOT / "a.jpg").write_bytes(b"\xff\xd8 a")
    (settings.MEDIA_ROOT / "a.jpg").chmod(0o644)
    make_actor()
    old = os.umask(0o022)
    try:
        bk.backup(tmp_path / "b")
        modes = {p.name: oct(_mode(p)) for p in (tmp_path / "b").iterdir()}
        assert oct(_mode(tmp_path / "b")) == "0o700", "backup folder open to others"
        assert len(modes) == 3 and set(modes.values()) == {"0o600"}, f"backup parts: {modes}"

        _restore_into_new_folders(settings, tmp_path, tmp_path / "b")
    finally:
        os.umask(old)
    imports = tmp_path / "imports-new"
    assert oct(_mode(imports)) == "0o700"
    assert oct(_mode(imports / "2026")) == "0o700"
    assert oct(_mode(imports / "2026" / "contacts.csv")) == "0o600"
    assert oct(_mode(tmp_path / "var-new" / "secret_key")) == "0o600"
    assert (tmp_path / "var-new" / "secret_key").read_text() == "clé-secrète"
    # Media are public (served by the web server): their mode is kept.
    assert oct(_mode(tmp_path / "media-new" / "a.jpg")) == "0o644"
