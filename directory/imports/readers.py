"""Reading partner files row by row, in bounded memory: CSV (`,` `;` tab, UTF-8 or Latin-1,
detected), XLSX (openpyxl's streaming mode) and GeoJSON (points; its coordinates become two
columns)."""

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx", "geojson")
GEOMETRY_LONGITUDE = "longitude (géométrie)"
GEOMETRY_LATITUDE = "latitude (géométrie)"
SNIFF_BYTES = 64 * 1024
# GeoJSON is one JSON document, parsed whole: bounded by this size instead.
MAX_GEOJSON_BYTES = 64 * 1024 * 1024


@dataclass
class Table:
    format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    extra: dict = field(default_factory=dict)


def detect_format(path: Path, filename: str = "") -> str:
    name = (filename or path.name).lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".geojson", ".json")):
        return "geojson"
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.lstrip().startswith(b"{"):
        return "geojson"
    return "csv"


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as such, else Windows-1252, the Latin-1
    that spreadsheets actually write (it has the € and the curly apostrophe)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t|").delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(";,\t|", key=header.count) if header else ";"


def _clean_headers(headers) -> list[str]:
    seen, out = {}, []
    for index, header in enumerate(headers):
        name = str(header if header is not None else "").strip() or _("colonne %(n)s") % {
            "n": index + 1
        }
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def open_table(path: Path, filename: str = "", fmt: str = "", encoding: str = "") -> Table:
    """What the file is and its column names; ValidationError if it cannot be read."""
    fmt = fmt or detect_format(path, filename)
    try:
        if fmt == "csv":
            encoding = encoding or detect_encoding(path)
            with open(path, encoding=encoding, newline="") as handle:
                sample = handle.read(SNIFF_BYTES)
            if not sample.strip():
                raise ValidationError(_("Le fichier est vide."), code="empty")
            delimiter = detect_delimiter(sample)
            with open(path, encoding=encoding, newline="") as handle:
                headers = next(csv.reader(handle, delimiter=delimiter), [])
            return Table("csv", _clean_headers(headers), encoding, delimiter)
        if fmt == "xlsx":
            rows = _xlsx_rows(path)
            headers = next(rows, None)
            rows.close()
            if headers is None:
                raise ValidationError(_("La feuille de calcul est vide."), code="empty")
            return Table("xlsx", _clean_headers(headers))
        if fmt == "geojson":
            features = _geojson_features(path)
            keys: dict[str, None] = {}
            for feature in features:
                keys.update(dict.fromkeys((feature.get("properties") or {}).keys()))
            headers = [*map(str, keys), GEOMETRY_LATITUDE, GEOMETRY_LONGITUDE]
            return Table("geojson", _clean_headers(headers))
    except ValidationError:
        raise
    except (OSError, ValueError, KeyError, csv.Error) as error:
        raise ValidationError(
            _("Fichier illisible (%(format)s) : %(error)s"),
            code="unreadable",
            params={"format": fmt, "error": error},
        ) from error
    raise ValidationError(_("Format inconnu : %(format)s."), params={"format": fmt})


def rows(path: Path, table: Table, start: int = 0) -> Iterator[tuple[int, dict]]:
    """(row number, {header: text}) for each data row after the first ``start`` ones.
    Row numbers are records', the header being row 1, as a spreadsheet shows them."""
    headers = table.headers
    if table.format == "csv":
        with open(path, encoding=table.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=table.delimiter)
            next(reader, None)
            index = 0
            # The record's number (header = 1), as a spreadsheet numbers its rows: a cell
            # holding line breaks does not shift the rows after it (reader.line_num would).
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                index += 1
                if index <= start:
                    continue
                yield number, _row(headers, values)
    elif table.format == "xlsx":
        source = _xlsx_rows(path)
        try:
            next(source, None)
            index = 0
            for line, values in enumerate(source, start=2):
                if not any(v not in (None, "") for v in values):
                    continue
                index += 1
                if index <= start:
                    continue
                yield line, _row(headers, ["" if v is None else v for v in values])
        finally:
            source.close()
    else:
        for index, feature in enumerate(_geojson_features(path), start=1):
            if index <= start:
                continue
            properties = {str(k): v for k, v in (feature.get("properties") or {}).items()}
            geometry = feature.get("geometry") or {}
            lon = lat = ""
            if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) >= 2:
                lon, lat = geometry["coordinates"][:2]
            values = [properties.get(h, "") for h in headers[:-2]] + [lat, lon]
            # A feature's index stands for its line: GeoJSON files have no useful lines.
            yield index, _row(headers, values)


def count_rows(path: Path, table: Table) -> int:
    return sum(1 for _ in rows(path, table))


def _row(headers: list[str], values: list) -> dict:
    row = {}
    for index, header in enumerate(headers):
        value = values[index] if index < len(values) else ""
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)  # XLSX stores every number as a float: 45000.0 is "45000"
        # NUL is no text anywhere (PostgreSQL refuses it in text and jsonb): dropped here,
        # before a cell reaches a record, a reason or a listing.
        row[header] = "" if value is None else str(value).replace("\x00", "").strip()
    return row


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def _geojson_features(path: Path) -> list[dict]:
    if path.stat().st_size > MAX_GEOJSON_BYTES:
        raise ValidationError(
            _("GeoJSON trop gros (%(mb)s Mo au plus) : envoyez plutôt un CSV."),
            params={"mb": MAX_GEOJSON_BYTES // (1024 * 1024)},
        )
    with open(path, encoding="utf-8-sig") as handle:
        document = json.load(handle)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError(_("Ce GeoJSON n'est pas une FeatureCollection."), code="not_fc")
    features = document.get("features")
    if not isinstance(features, list):
        raise ValidationError(_("Ce GeoJSON n'a pas de liste « features »."), code="no_features")
    return [f for f in features if isinstance(f, dict)]
