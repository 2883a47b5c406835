"""Territory querysets: gazetteer lookups and point-in-polygon, through the spatial index."""

import re

from django.contrib.gis.db import models
from django.db.models import Case, IntegerField, Q, Value, When

from .spatial import bbox_prefilter, outlines_containing
from .text import normalize

POSTAL_CODE_PREFIX = re.compile(r"^\d{2,5}$")


def _point_bbox(point, pad: float = 1e-9):
    return (point.x - pad, point.y - pad, point.x + pad, point.y + pad)


class _ContainingMixin:
    def containing(self, point):
        """Territories whose outline contains ``point`` (a GEOS Point in SRID 4326)."""
        # "intersects" rather than "contains": a point exactly on a shared border still
        # belongs somewhere, and the outline check after the index prefilter is exact.
        return bbox_prefilter(self, "outline", _point_bbox(point)).filter(outline__intersects=point)

    def first_containing(self, points, *fields) -> dict[int, tuple]:
        """{index of a (lon, lat) in ``points``: (pk, *fields) of the first territory
        containing it}, what ``containing(point).values_list("pk", *fields).first()`` gives
        for each, in two statements for the lot (an import's batch of rows): the points
        joined with the outlines through the spatial index, then the rows found, in the
        territories' order."""
        points = list(points)
        if not points:
            return {}
        matches = outlines_containing(self.model, points, self.db)
        candidates = {pk for pks in matches.values() for pk in pks}
        if not candidates:
            return {}
        ordered = list(self.filter(pk__in=candidates).values_list("pk", *fields))
        rank = {row[0]: n for n, row in enumerate(ordered)}
        rows = {row[0]: row for row in ordered}
        return {
            index: rows[min((pk for pk in pks if pk in rank), key=rank.__getitem__)]
            for index, pks in matches.items()
            if any(pk in rank for pk in pks)
        }


class DepartementQuerySet(_ContainingMixin, models.QuerySet):
    pass


class CommuneQuerySet(_ContainingMixin, models.QuerySet):
    def search(self, query: str):
        """Communes matching a name prefix (accent/case-insensitive, "st" = "saint") or a postal code.

        Name matches at the start of the name come first, then matches at the start
        of a later word ("ferte" finds "La Ferté-Saint-Aubin"); larger towns first.
        """
        query = (query or "").strip()
        if POSTAL_CODE_PREFIX.match(query):
            return (
                self.filter(postal_codes__code__startswith=query)
                .distinct()
                .order_by("-population", "name", "code")
            )
        needle = normalize(query)
        if not needle:
            return self.none()
        return (
            self.filter(Q(search_name__startswith=needle) | Q(search_name__contains=f" {needle}"))
            .annotate(
                name_rank=Case(
                    When(search_name=needle, then=Value(0)),
                    When(search_name__startswith=needle, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by("name_rank", "-population", "name", "code")
        )
