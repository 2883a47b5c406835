"""The time of the site, in one place so that tests can set it (no sleeping in tests).

Scheduled articles appear when ``now()`` passes their date. Tests call ``freeze(moment)``
and ``thaw()``: the live server of browser tests runs in the same process and sees it too.
"""

import datetime

from django.utils import timezone

_frozen: datetime.datetime | None = None


def now() -> datetime.datetime:
    return _frozen if _frozen is not None else timezone.now()


def freeze(moment: datetime.datetime) -> None:
    global _frozen
    if timezone.is_naive(moment):
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment


def thaw() -> None:
    global _frozen
    _frozen = None
