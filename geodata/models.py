"""Territories: régions, départements and communes, with their postal codes."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .querysets import CommuneQuerySet, DepartementQuerySet


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    outline = models.MultiPolygonField(_("contour simplifié"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departements", verbose_name=_("région")
    )
    outline = models.MultiPolygonField(_("contour simplifié"), srid=4326, null=True, blank=True)
    # The outline as the map draws it (GeoJSON geometry, ~500 m, 5 decimals, RFC 7946),
    # computed once when territories are imported (geodata.outlines), never per request.
    outline_geojson = models.TextField(_("contour pour la carte (GeoJSON)"), blank=True, default="")

    objects = DepartementQuerySet.as_manager()

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Commune(models.Model):
    code = models.CharField(_("code INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    # Lower case, no accents, "st" -> "saint": what the gazetteer matches on.
    search_name = models.CharField(max_length=150, db_index=True, editable=False)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="communes",
        verbose_name=_("département"),
    )
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    townhall = models.PointField(_("mairie"), srid=4326, null=True, blank=True)
    outline = models.MultiPolygonField(_("contour simplifié"), srid=4326, null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name", "code"]

    def __str__(self):
        return f"{self.name} ({self.departement_id and self.departement.code})"

    @property
    def label(self) -> str:
        """Name with its postal code(s), as shown in the autocompletion."""
        codes = ", ".join(self.postal_code_list)
        return f"{self.name} ({codes})" if codes else self.name

    @property
    def postal_code_list(self) -> list[str]:
        return sorted({p.code for p in self.postal_codes.all()})

    @property
    def center(self):
        """Town hall if known, else a point guaranteed inside the outline."""
        if self.townhall and not self.townhall.empty:
            return self.townhall
        if self.outline and not self.outline.empty:
            point = self.outline.point_on_surface
            return None if point.empty else point
        return None


class PostalCode(models.Model):
    # Several communes share one postal code, and a commune may have several.
    code = models.CharField(_("code postal"), max_length=5, db_index=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="postal_codes", verbose_name=_("commune")
    )

    class Meta:
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="unique_postal_code_commune")
        ]

    def __str__(self):
        return self.code


class PlaceKind(models.TextChoices):
    COMMUNE = "commune", _("commune")
    DELEGATED = "deleguee", _("commune déléguée")
    ASSOCIATED = "associee", _("commune associée")
    ARRONDISSEMENT = "arrondissement", _("arrondissement municipal")


class PlaceName(models.Model):
    """Every commune of France by name, with the former communes and the arrondissements
    inside them, whatever territories are loaded: partners' files name places anywhere in
    France, and a name is only unique if it is unique nationally (geodata.names)."""

    code = models.CharField(_("code INSEE"), max_length=5, db_index=True)
    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("nature"), max_length=14, choices=PlaceKind.choices)
    # The commune it is, or is part of, today.
    commune_code = models.CharField(_("commune actuelle"), max_length=5, db_index=True)
    departement = models.CharField(_("département"), max_length=3, db_index=True)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    postal_codes = models.CharField(_("codes postaux"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("nom de lieu")
        verbose_name_plural = _("noms de lieux")
        ordering = ["code", "kind"]
        constraints = [
            # A commune déléguée often keeps the code of the commune nouvelle it joined.
            models.UniqueConstraint(fields=["code", "kind"], name="unique_place_name_code_kind")
        ]

    def __str__(self):
        return f"{self.name} ({self.departement})"


class FrenchDepartement(models.Model):
    """Every département of France (overseas included), outline simplified, and the ones it borders:
    where a point lies when the loaded territories do not cover it, and whether it lies in
    France at all (geodata.scope)."""

    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    region_code = models.CharField(_("code de la région"), max_length=3)
    outline = models.MultiPolygonField(_("contour simplifié"), srid=4326)
    # Space-separated codes of the départements sharing a border with this one.
    neighbours = models.CharField(_("départements limitrophes"), max_length=60, blank=True)

    objects = DepartementQuerySet.as_manager()

    class Meta:
        verbose_name = _("département (France entière)")
        verbose_name_plural = _("départements (France entière)")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
