"""Partner-list files and import runs for tests: a file written as staff send it, analysed
and imported the way the staff pages and ``import_list`` drive a run (directory.imports.runs)."""

import csv
import io

from directory.imports import runs
from directory.models import RunStatus


def csv_file(tmp_path, header, rows, name="liste.csv", delimiter=";"):
    """A UTF-8 CSV file of ``header`` and ``rows`` in ``tmp_path``."""
    handle = io.StringIO()
    writer = csv.writer(handle, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(handle.getvalue(), encoding="utf-8")
    return path


def analysed(source, path, default_kind="", scope=None):
    """The run of ``path`` for ``source``, analysed with its guessed mapping (``scope``:
    the area it imports, directory.imports.places.ImportScope)."""
    run = runs.start(source, path, path.name)
    runs.set_mapping(run, run.mapping["columns"], default_kind, scope=scope)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.ANALYSED, run.status
    return run


def imported(run):
    """``run`` confirmed and carried out."""
    runs.confirm(run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.status
    return run
