"""Offline geocoding from the gazetteer: a postal code or commune name gives its town hall."""

from ..models import Commune
from ..places import parse
from .base import GeocodeResult


class GazetteerGeocoder:
    """Resolves the commune part of an address. Never fails for lack of network."""

    source = "gazetteer"

    def geocode(self, query: str) -> GeocodeResult | None:
        return self._result(self.find_commune(query))

    def exact(self, query: str) -> GeocodeResult | None:
        """The commune if the whole text names one (« Blois », « 41000 », « Tours 37 »,
        « 45160 Olivet »), else None: a street address is left to the online service."""
        parsed = parse(query)
        if not parsed.name and not parsed.postal_code:
            return None
        communes = Commune.objects.defer("outline").prefetch_related("postal_codes")
        if parsed.postal_code:
            communes = communes.filter(postal_codes__code=parsed.postal_code).distinct()
        if parsed.departement:
            communes = communes.filter(departement__code=parsed.departement)
        if parsed.name:
            communes = communes.filter(search_name=parsed.name)
        return self._result(communes.order_by("-population").first())

    def _result(self, commune: Commune | None) -> GeocodeResult | None:
        if commune is None or commune.center is None:
            return None
        center = commune.center
        return GeocodeResult(
            latitude=center.y,
            longitude=center.x,
            label=commune.label,
            commune_code=commune.code,
            precision="municipality",
            source=self.source,
        )

    def find_commune(self, query: str) -> Commune | None:
        """The commune an address or place text designates, best guess first.

        "41000 Blois", "Tours 37", "Blois (41)" and "Blois, France" all name one commune:
        the postal code or département code narrows the candidates, the country is noise.
        """
        parsed = parse(query)
        text = parsed.name
        if not text and not parsed.postal_code:
            return None
        # The outline is the heavy column and callers want the town hall: read it only when
        # a commune has no town hall (Commune.center then loads it).
        communes = Commune.objects.defer("outline").prefetch_related("postal_codes")
        if parsed.postal_code:
            candidates = list(
                communes.filter(postal_codes__code=parsed.postal_code)
                .distinct()
                .order_by("-population")
            )
            # "45160 Olivet" must not give Saint-Hilaire-Saint-Mesmin, which shares 45160.
            named = [c for c in candidates if f" {c.search_name} " in f" {text} "]
            if named or candidates:
                return (named or candidates)[0]
        if parsed.departement:
            communes = communes.filter(departement__code=parsed.departement)
        if not text:
            return None
        exact = communes.filter(search_name=text).order_by("-population").first()
        if exact:
            return exact
        # An address ends with its commune: try "… rue des Lilas tours" -> "tours",
        # longest tail first so "saint jean de braye" beats "braye".
        words = text.split()
        for start in range(len(words)):
            tail = " ".join(words[start:])
            found = communes.filter(search_name=tail).order_by("-population").first()
            if found:
                return found
        return communes.search(text).first()
