"""Figures for the staff (/staff/chiffres/), counted without cookies or personal data: daily
totals only. No IP address, user agent, typed address or session is stored anywhere."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageViewDay(models.Model):
    """Pages served on one day, by kind of page. ``entries`` are the views that came from
    outside the site (another site, a link in a mail, typed in): without cookies, that is
    how visits are counted."""

    day = models.DateField(_("jour"))
    page = models.CharField(_("page"), max_length=30)
    views = models.PositiveIntegerField(_("pages vues"), default=0)
    entries = models.PositiveIntegerField(_("visites"), default=0)

    class Meta:
        verbose_name = _("pages vues par jour")
        verbose_name_plural = _("pages vues par jour")
        ordering = ["-day", "page"]
        constraints = [models.UniqueConstraint(fields=["day", "page"], name="page_view_day_unique")]
        permissions = [("view_figures", _("Peut consulter les chiffres"))]

    def __str__(self):
        return f"{self.day} {self.page} : {self.views}"


class SearchDay(models.Model):
    """Searches made on one day, by commune (of the point searched around, never the typed
    address) and product; ``empty`` counts those that found nothing."""

    day = models.DateField(_("jour"))
    place = models.CharField(_("lieu"), max_length=120, blank=True)
    product = models.CharField(_("produit"), max_length=80, blank=True)
    searches = models.PositiveIntegerField(_("recherches"), default=0)
    empty = models.PositiveIntegerField(_("sans résultat"), default=0)

    class Meta:
        verbose_name = _("recherches par jour")
        verbose_name_plural = _("recherches par jour")
        ordering = ["-day", "place", "product"]
        constraints = [
            models.UniqueConstraint(fields=["day", "place", "product"], name="search_day_unique")
        ]

    def __str__(self):
        return f"{self.day} {self.place} {self.product} : {self.searches}"


class ListingCountDay(models.Model):
    """How many listings there were on a day, by kind, status and département (a daily
    snapshot: the figures page and manage.py record_figures take it)."""

    day = models.DateField(_("jour"))
    kind = models.CharField(_("type"), max_length=20)
    status = models.CharField(_("statut"), max_length=20)
    departement = models.CharField(_("département"), max_length=3, blank=True)
    count = models.PositiveIntegerField(_("fiches"), default=0)

    class Meta:
        verbose_name = _("fiches par jour")
        verbose_name_plural = _("fiches par jour")
        ordering = ["-day", "kind", "status", "departement"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "status", "departement"], name="listing_count_day_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.status} {self.departement} : {self.count}"
