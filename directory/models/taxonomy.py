"""Reference lists: product categories, quality labels and ways to buy."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class _Reference(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Category(_Reference):
    """What is sold: vegetables, meat, bread…"""

    class Meta(_Reference.Meta):
        verbose_name = _("catégorie de produits")
        verbose_name_plural = _("catégories de produits")


class Label(_Reference):
    """A quality or origin sign (organic farming, Label Rouge, AOP…)."""

    url = models.URLField(_("site officiel"), blank=True)

    class Meta(_Reference.Meta):
        verbose_name = _("label")
        verbose_name_plural = _("labels")


class SaleMode(_Reference):
    """How consumers buy: on site, at a market, at a pick-up point, delivery…"""

    class Meta(_Reference.Meta):
        verbose_name = _("mode de vente")
        verbose_name_plural = _("modes de vente")
