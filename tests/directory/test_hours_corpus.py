"""Real-world opening hours (tests/directory/hours_corpus/, each line with its source) read
by directory.hours: at least 150 strings of each shape, at least 95 % read exactly, and a
text that cannot be represented is never given hours."""

import json
from pathlib import Path

import pytest

from directory.hours import DAYS, Hours
from directory.hours.french import parse_french
from directory.hours.osm import parse_osm

CORPUS = Path(__file__).parent / "hours_corpus"
TARGET = 0.95


def _load(name: str) -> list[dict]:
    with (CORPUS / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def meaning(hours: Hours | dict | None):
    """What a timetable means: for each day and season, the minutes it is open (touching or
    overlapping intervals are one: « 10:00-11:00,11:00-12:00 » is « 10:00-12:00 »)."""
    if isinstance(hours, dict):
        hours = Hours.from_json(hours)
    if hours is None:
        return None
    spans: dict[tuple[str, str | None], list[list[int]]] = {}
    for day, opens, closes, season in hours.slots:
        spans.setdefault((day, season), []).append([_minutes(opens), _minutes(closes)])
    merged = {}
    for key, intervals in spans.items():
        out: list[list[int]] = []
        for start, end in sorted(intervals):
            if out and start <= out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([start, end])
        merged[key] = tuple(map(tuple, out))
    return frozenset(merged.items()), hours.holidays_closed


def _score(lines, parse):
    wrong, invented = [], []
    for line in lines:
        got, expected = meaning(parse(line["text"])), meaning(line["expected"])
        if got != expected:
            wrong.append((line["text"], line["expected"], parse(line["text"])))
            if expected is None:
                invented.append(line["text"])
    return 1 - len(wrong) / len(lines), wrong, invented


@pytest.mark.parametrize(
    ("name", "parse"),
    [("osm.jsonl", parse_osm), ("french.jsonl", parse_french)],
    ids=["osm", "french"],
)
def test_the_real_world_corpus_is_read_exactly(name, parse):
    lines = _load(name)
    assert len({line["text"] for line in lines}) >= 150, f"{name}: fewer than 150 strings"
    assert all(line.get("source") for line in lines), f"{name}: a string without its source"
    representable = sum(line["expected"] is not None for line in lines)
    assert representable >= 100, f"{name}: only {representable} strings with hours to read"
    score, wrong, invented = _score(lines, parse)
    details = "\n".join(f"  {text!r}: expected {exp}, got {got}" for text, exp, got in wrong[:40])
    assert score >= TARGET, f"{name}: {score:.1%} read exactly ({len(wrong)} wrong):\n{details}"
    # Hours given to a text that says something else would mislead a visitor: never.
    assert not invented, f"{name}: hours invented for {invented}"


def test_every_expected_timetable_is_well_formed():
    for name in ("osm.jsonl", "french.jsonl"):
        for line in _load(name):
            expected = line["expected"]
            if expected is None:
                continue
            for slot in expected["slots"]:
                day, opens, closes = slot[:3]
                assert day in DAYS and _minutes(opens) < _minutes(closes), (name, line)
