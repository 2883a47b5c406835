"""Opening schedule: weekly slots, seasons and dated exceptions."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Weekday


class Season(models.Model):
    """A yearly period (may wrap the new year: 1 Nov -> 31 Mar) with its own weekly slots."""

    actor = models.ForeignKey("Actor", on_delete=models.CASCADE, related_name="seasons")
    name = models.CharField(
        _("nom"), max_length=60, help_text=_("« Été », « Saison des fraises »…")
    )
    start_month = models.PositiveSmallIntegerField(_("mois de début"))
    start_day = models.PositiveSmallIntegerField(_("jour de début"))
    end_month = models.PositiveSmallIntegerField(_("mois de fin"))
    end_day = models.PositiveSmallIntegerField(_("jour de fin"))

    class Meta:
        verbose_name = _("saison")
        verbose_name_plural = _("saisons")
        ordering = ["start_month", "start_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_month__range=(1, 12), end_month__range=(1, 12))
                & models.Q(start_day__range=(1, 31), end_day__range=(1, 31)),
                name="season_valid_month_day",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.start_day:02d}/{self.start_month:02d} – {self.end_day:02d}/{self.end_month:02d})"

    def clean(self):
        import calendar

        for month, day in ((self.start_month, self.start_day), (self.end_month, self.end_day)):
            if (
                not month
                or not day
                or not 1 <= month <= 12
                or not 1 <= day <= calendar.monthrange(2024, month)[1]
            ):
                raise ValidationError(
                    _("Date de saison invalide : %(d)s/%(m)s.") % {"d": day, "m": month}
                )

    def period(self) -> str:
        """Its dates as people say them, in the active language: « d'avril à octobre » for
        whole months, else « du 15 avril au 15 octobre »."""
        import calendar
        import datetime

        from django.utils.formats import date_format
        from django.utils.translation import gettext

        start = datetime.date(2024, self.start_month, self.start_day)
        end = datetime.date(2024, self.end_month, self.end_day)
        if self.start_day == 1 and self.end_day == calendar.monthrange(2024, self.end_month)[1]:
            first, last = date_format(start, "F"), date_format(end, "F")
            if first[:1].lower() in "aeiouyéè":
                return gettext("d’%(start)s à %(end)s") % {"start": first, "end": last}
            return gettext("de %(start)s à %(end)s") % {"start": first, "end": last}
        return gettext("du %(start)s au %(end)s") % {
            "start": date_format(start, "j F"),
            "end": date_format(end, "j F"),
        }

    def contains(self, date) -> bool:
        """Whether ``date`` falls in this season (bounds included)."""
        start, end, current = (
            (self.start_month, self.start_day),
            (self.end_month, self.end_day),
            (date.month, date.day),
        )
        if start <= end:
            return start <= current <= end
        return current >= start or current <= end


class OpeningSlot(models.Model):
    """Open on a weekday between two times; all year, or only during a season."""

    actor = models.ForeignKey("Actor", on_delete=models.CASCADE, related_name="opening_slots")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens = models.TimeField(_("ouverture"))
    closes = models.TimeField(_("fermeture"))
    season = models.ForeignKey(
        Season,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("saison"),
        help_text=_("Vide : toute l'année."),
    )

    class Meta:
        verbose_name = _("créneau d'ouverture")
        verbose_name_plural = _("créneaux d'ouverture")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="slot_closes_after_opens"
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ScheduleException(models.Model):
    """A dated change: closed for holidays, or special opening hours."""

    actor = models.ForeignKey("Actor", on_delete=models.CASCADE, related_name="schedule_exceptions")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("fermé toute la journée"), default=True)
    opens = models.TimeField(_("ouverture"), null=True, blank=True)
    closes = models.TimeField(_("fermeture"), null=True, blank=True)
    note = models.CharField(_("remarque"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("exception au planning")
        verbose_name_plural = _("exceptions au planning")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed=True)
                | models.Q(opens__isnull=False, closes__isnull=False, closes__gt=models.F("opens")),
                name="exception_hours_when_open",
            )
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} : {'fermé' if self.closed else f'{self.opens:%H:%M}–{self.closes:%H:%M}'}"
