"""The period the figures cover, and its buckets (days or weeks starting on Monday)."""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .counting import today

MAX_DAYS = 2 * 366
DEFAULT_DAYS = 8 * 7


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    by: str  # "jour" or "semaine"

    def bucket(self, day: datetime.date) -> datetime.date:
        return day - datetime.timedelta(days=day.weekday()) if self.by == "semaine" else day

    def buckets(self) -> list[datetime.date]:
        out, day = [], self.bucket(self.start)
        step = datetime.timedelta(days=7 if self.by == "semaine" else 1)
        while day <= self.end:
            out.append(day)
            day += step
        return out

    def label(self, bucket: datetime.date) -> str:
        text = formats.date_format(bucket, "j N")
        return _("sem. du %(date)s") % {"date": text} if self.by == "semaine" else text

    def query(self) -> str:
        return f"du={self.start.isoformat()}&au={self.end.isoformat()}&par={self.by}"


class PeriodForm(forms.Form):
    du = forms.DateField(
        label=gettext_lazy("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    au = forms.DateField(
        label=gettext_lazy("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    par = forms.ChoiceField(
        label=gettext_lazy("Par"),
        required=False,
        choices=[
            ("", gettext_lazy("automatique")),
            ("jour", gettext_lazy("jour")),
            ("semaine", gettext_lazy("semaine")),
        ],
    )

    def clean(self):
        data = super().clean()
        end = data.get("au") or today()
        start = data.get("du") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ValidationError(_("La date de début doit précéder la date de fin."))
        if (end - start).days >= MAX_DAYS:
            raise ValidationError(_("Deux ans au plus à la fois."))
        by = data.get("par") or ("semaine" if (end - start).days > 45 else "jour")
        data["period"] = Period(start, end, by)
        return data
