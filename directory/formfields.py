"""Form fields that refuse, as an ordinary form error, what the database cannot compare.

A multiple choice of rows by number (``ModelMultipleChoiceField``) asks the database for
``pk IN (…)`` with the values posted. SQLite cannot bind an integer beyond 64 bits
(OverflowError, a 500) and Django only guards single-value lookups against it. Posted
values are therefore checked first: plain ASCII digits (an optional minus sign) within the
backend's range for the key's column, else the field's « choix invalide » error.
"""

import re

from django import forms
from django.db import connections, router
from django.db.models import AutoField, BigAutoField, IntegerField, SmallAutoField

INTEGER = re.compile(r"-?[0-9]{1,20}\Z")
INTEGER_KEYS = (AutoField, BigAutoField, SmallAutoField, IntegerField)


def integer_range(queryset, field) -> tuple[int, int]:
    """The values the column of ``field`` holds on the database ``queryset`` reads."""
    alias = queryset.db or router.db_for_read(queryset.model)
    low, high = connections[alias].ops.integer_field_range(field.get_internal_type())
    # Some backends leave a bound open (None); a 64-bit column is the widest anywhere.
    return (low if low is not None else -(2**63), high if high is not None else 2**63 - 1)


def bounded_integer(text, low: int, high: int) -> bool:
    text = str(text).strip()
    return bool(INTEGER.match(text)) and low <= int(text) <= high


class KeyMultipleChoiceField(forms.ModelMultipleChoiceField):
    """``ModelMultipleChoiceField`` whose posted keys never reach the database unless they
    are integers the key's column can hold (when the key is an integer)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key) if key != "pk" else None
        field = field or self.queryset.model._meta.pk
        if isinstance(field, INTEGER_KEYS):
            low, high = integer_range(self.queryset, field)
            for item in value:
                if not bounded_integer(item, low, high):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": str(item)[:50]},
                    )
        return super()._check_values(value)
