"""CSV for spreadsheets: a text cell cannot start a formula (OWASP CSV injection).

Every CSV the site writes (open data, import reports, staff figures) goes through the
writers below, so listing names, partners' lists and visitors' searches cannot run a
formula (``=HYPERLINK(…)``, ``+cmd|…``, DDE) in the spreadsheet of whoever opens the file.

The rules (docs/security.md, docs/opendata.md), OWASP's three:

- a text cell whose first character, or first character after leading whitespace, is
  ``=``, ``+``, ``-`` or ``@`` (or their fullwidth forms, which some spreadsheets fold to
  ASCII), or that starts with a tab or a carriage return, gets a leading apostrophe,
  which spreadsheets show as text. Numbers are left alone: numeric values, and text that
  is exactly a number (``-0,35``, ``+33254112233``), since a number cannot be a formula;
- the same inside a text, after a ``,`` ``;`` tab or line break: a program that splits the
  file on another delimiter than ours (``;``), or ends a record at a line break, starts a
  new cell there (``Ferme,=1+1`` would give a ``=1+1`` cell);
- every text cell is quoted and its quotes doubled (numbers stay bare numbers), so a
  reader that honours quotes never splits a text, whatever delimiter it picks.

original() undoes the apostrophes exactly, for reading our own files back.
"""

import csv
import re

_TRIGGERS = re.escape("=+-@\uff1d\uff0b\uff0d\uff20")
# Leading apostrophes are part of the match so that the rule can be undone exactly
# (original()): "'=1" is written "''=1" and reads back as "'=1".
_FORMULA = re.compile(rf"^'*(?:[\t\r]|\s*[{_TRIGGERS}])")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
# Where another program may start a new cell inside a text.
_SEPARATOR = re.compile(r"([,;\t\r\n])")
# Quotes too: after a split, ``""=1`` reads as an empty quoted text followed by ``=1``.
_INNER_FORMULA = re.compile(rf"'*[\s\"]*[{_TRIGGERS}]")


def _starts_formula(text: str) -> bool:
    return bool(_FORMULA.match(text)) and not _NUMBER.match(text)


def _inner(text: str, undo: bool = False) -> str:
    """Apostrophes before the formula triggers that follow a separator inside ``text``
    (or, with ``undo``, removed). No number exception here: a reader that splits there
    runs the piece on to its next separator, past the end of our cell."""
    parts = _SEPARATOR.split(text)  # text, separator, text, separator, …
    for i in range(2, len(parts), 2):
        piece = parts[i]
        if undo:
            if piece.startswith("'") and _INNER_FORMULA.match(piece[1:]):
                parts[i] = piece[1:]
        elif _INNER_FORMULA.match(piece):
            parts[i] = "'" + piece
    return "".join(parts)


def safe_cell(value):
    """``value`` as it may go into a CSV cell: formula text prefixed with ``'``."""
    if not isinstance(value, str) or _NUMBER.match(value):
        return value
    inner = _inner(value)
    return "'" + inner if _FORMULA.match(value) else inner


def original(value: str) -> str:
    """The text safe_cell() was given, for reading our own files back (open-data reload)."""
    if value.startswith("'"):
        rest = _inner(value[1:], undo=True)
        if _starts_formula(rest):
            return rest
    return _inner(value, undo=True)


def safe_row(row) -> list:
    return [safe_cell(value) for value in row]


class Writer:
    """csv.writer whose rows go through safe_cell(), every text cell quoted."""

    def __init__(self, handle, **kwargs):
        kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class DictWriter(csv.DictWriter):
    """csv.DictWriter whose values go through safe_cell(), every text cell quoted."""

    def __init__(self, f, fieldnames, *args, **kwargs):
        kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)
        super().__init__(f, fieldnames, *args, **kwargs)

    def writerow(self, rowdict):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for rowdict in rowdicts:
            self.writerow(rowdict)
