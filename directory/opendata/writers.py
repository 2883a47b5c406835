"""One writer per format; each takes the records and an open text file."""

import json
from xml.sax.saxutils import quoteattr

from django.conf import settings
from django.contrib.gis.geos import Point

from ..spreadsheet import DictWriter
from ..structured_data import local_business
from . import osm
from .records import FIELDS, MULTI


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def csv_row(record: dict) -> dict:
    row = _public(record)
    for name in MULTI:
        row[name] = "|".join(row[name])
    row["position_approximate"] = "true" if row["position_approximate"] else "false"
    return row


def encoding(format_key: str, delimiter: str | None = None) -> str:
    """The text encoding of a file of ``format_key``. A `;` CSV is for French spreadsheets:
    Excel reads a CSV without a byte-order mark in the system's code page (accents come out
    as « Ã© »), so it starts with one (« utf-8-sig »). A `,` CSV is for programs, which
    would read the mark as part of the first column's name: none."""
    if delimiter is None:
        delimiter = settings.TOUTPRES_OPEN_DATA["CSV_DELIMITER"]
    return "utf-8-sig" if format_key == "csv" and delimiter == ";" else "utf-8"


def write_csv(records, out, delimiter: str) -> int:
    """UTF-8 CSV, header first, every field quoted when it must be (RFC 4180); text that
    would start a spreadsheet formula is neutralised (directory.spreadsheet)."""
    writer = DictWriter(out, fieldnames=FIELDS, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for record in records:
        writer.writerow(csv_row(record))
        n += 1
    return n


def write_geojson(records, out, meta: dict) -> int:
    """RFC 7946 FeatureCollection; licence and publisher as foreign members.

    Written feature by feature: the whole directory never sits in memory as one document.
    """
    head = {"type": "FeatureCollection", **meta}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n')
    n = 0
    for record in records:
        properties = _public(record)
        feature = {
            "type": "Feature",
            "id": record["id"],
            "geometry": {
                "type": "Point",
                "coordinates": [record["longitude"], record["latitude"]],
            },
            "properties": properties,
        }
        out.write((",\n" if n else "") + json.dumps(feature, ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


def write_jsonld(records, out, meta: dict) -> int:
    """schema.org graph: the Dataset (licence, publisher), then one LocalBusiness per actor."""
    dataset = {
        "@type": "Dataset",
        "name": meta["name"],
        "url": meta["source"],
        "license": meta["licence_url"],
        "creator": {"@type": "Organization", "name": meta["publisher"]},
        "dateModified": meta["generated_at"],
        # The lists it is made from, each under its own licence.
        "isBasedOn": [
            {
                "@type": "Dataset",
                "name": s["name"],
                "license": s["licence_url"] or s["licence"],
                "creditText": s["name"],
            }
            for s in meta.get("sources", ())
        ],
    }
    out.write('{"@context": "https://schema.org", "@graph": [\n')
    out.write(json.dumps(dataset, ensure_ascii=False))
    n = 0
    for record in records:
        node = local_business(
            record["_actor"],
            record["url"],
            point=Point(record["longitude"], record["latitude"], srid=4326),
            exceptions=(),
        )
        node.pop("@context")
        node["identifier"] = record["slug"]
        # Where this listing comes from and its licence: schema.org puts a licence on a
        # creative work, so it is on the listing's record (a Dataset), not on the business.
        node["subjectOf"] = {
            "@type": "Dataset",
            "name": record["source"],
            "creditText": record["source"],
            "license": record["licence_url"] or record["licence"],
            "usageInfo": record["licence"],
            "identifier": record["licence_id"],
        }
        out.write(",\n" + json.dumps(node, ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


def osm_source(record: dict, meta: dict) -> str:
    """``source=``: the platform and its licence, or the partner's list and its licence
    followed by the platform (OpenStreetMap separates values with ";")."""
    if record["_actor"].import_source_id is None:
        return meta["osm_source"]
    return f"{record['source']} ({record['licence']}); {meta['osm_via']}"


def write_osm(records, out, meta: dict) -> int:
    """OSM XML for JOSM, upload="never": contributors review and merge by hand (the import
    guidelines), nothing is sent to OpenStreetMap from this file as it is."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<osm version="0.6" generator={quoteattr(meta["name"])} upload="never">\n')
    n = 0
    for record in records:
        actor = record["_actor"]
        if actor.kind not in osm.OSM_KINDS or record["position_approximate"]:
            continue
        n += 1
        tags = osm.tags(
            actor,
            record["categories"],
            record["labels"],
            actor.opening_slots.all(),
            osm_source(record, meta),
        )
        out.write(
            f'  <node id="-{n}" visible="true" lat="{record["latitude"]}" '
            f'lon="{record["longitude"]}">\n'
        )
        for key, value in tags.items():
            out.write(f"    <tag k={quoteattr(key)} v={quoteattr(value)}/>\n")
        out.write("  </node>\n")
    out.write("</osm>\n")
    return n
