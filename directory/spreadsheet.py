"""CSV for spreadsheets: a text cell that would start a formula is neutralised (OWASP).

Every CSV the site writes (open data, import reports, staff figures) goes through the
writers below, so listing names, partners' lists and visitors' searches cannot run a
formula (``=HYPERLINK(…)``, ``+cmd|…``, DDE) in the spreadsheet of whoever opens the file.

The rule (docs/security.md, docs/opendata.md): a text cell whose first character, or first
character after leading whitespace, is ``=``, ``+``, ``-`` or ``@`` (or their fullwidth
forms, which some spreadsheets fold to ASCII), or that starts with a tab or a carriage
return, gets a leading apostrophe, which spreadsheets show as text. Numbers are left
alone: numeric values, and text that is exactly a number (``-0,35``, ``+33254112233``),
since a number cannot be a formula.
"""

import csv
import re

_TRIGGERS = re.escape("=+-@\uff1d\uff0b\uff0d\uff20")
# Leading apostrophes are part of the match so that the rule can be undone exactly
# (original()): "'=1" is written "''=1" and reads back as "'=1".
_FORMULA = re.compile(rf"^'*(?:[\t\r]|\s*[{_TRIGGERS}])")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def safe_cell(value):
    """``value`` as it may go into a CSV cell: formula text prefixed with ``'``."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def original(value: str) -> str:
    """The text safe_cell() was given, for reading our own files back (open-data reload)."""
    if value.startswith("'") and safe_cell(value[1:]) != value[1:]:
        return value[1:]
    return value


def safe_row(row) -> list:
    return [safe_cell(value) for value in row]


class Writer:
    """csv.writer whose rows go through safe_cell()."""

    def __init__(self, handle, **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class DictWriter(csv.DictWriter):
    """csv.DictWriter whose values go through safe_cell()."""

    def writerow(self, rowdict):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for rowdict in rowdicts:
            self.writerow(rowdict)
