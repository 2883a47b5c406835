"""Where a row of a partner's file is: its position, its commune, and whether it lies in
the area the import takes (the region, its bordering départements, France).

Positions come from the file (degrees in either order, Lambert-93, one "lat, lon" column),
else from the address through the geocoding service, else from the commune, resolved
exactly (geodata.names): then the position is the commune's and is queued for a pin
check. A commune that cannot be told for sure is never guessed: the row waits, with its
candidates, for staff to choose (« à vérifier »)."""

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geodata import names, scope
from geodata.coordinates import How, parse_number, position, split_pair
from geodata.geocoding import geocode, locates_addresses
from geodata.models import Commune, FrenchDepartement
from geodata.scope import Scope


class ImportScope(models.TextChoices):
    REGION = "region", gettext_lazy("la région seule")
    BORDERING = "bordering", gettext_lazy("la région et les départements qui la bordent")
    FRANCE = "france", gettext_lazy("toute la France")


DEFAULT_SCOPE = ImportScope.BORDERING
TAKES = {
    ImportScope.REGION: {Scope.REGION},
    ImportScope.BORDERING: {Scope.REGION, Scope.BORDERING},
    ImportScope.FRANCE: {Scope.REGION, Scope.BORDERING, Scope.ELSEWHERE},
}
# Counted apart from the actions (run.counts): every placed row by where it lies, and the
# rows whose commune staff must choose.
SCOPE_COUNT = "scope:"
PLACE_TO_CHECK = "place:check"


class Rejected(Exception):
    """The row cannot become a listing; the message says why, for the report.

    ``skip``: not an error of the file, a row the import leaves out (outside its area);
    ``count``: the key of run.counts it adds to; ``data``: kept on the record."""

    def __init__(self, message, *, skip=False, count="", data=None):
        super().__init__(message)
        self.skip, self.count, self.data = skip, count, data or {}


def resolve(values: dict, postal_code: str, references, forced: str = ""):
    """The commune the row names (cached per run: a list names the same towns again)."""
    if forced:  # staff chose it among the candidates: it wins over what the row says
        return names.resolve(insee=forced)
    name = (values.get("commune") or "").strip()
    departement_text = values.get("departement", "")
    departement = names.departement_code(departement_text) or "" if departement_text else ""
    insee = (values.get("insee") or "").strip()
    cache_key = (name, postal_code, departement, insee)
    if cache_key not in references.communes:
        references.communes[cache_key] = names.resolve(name, postal_code, departement, insee)
    return references.communes[cache_key]


def place(data: dict, values: dict, notes: list, mapping: dict, references, forced="") -> None:
    """Sets lon, lat, approximate, checked, commune, how the position was found, and the
    row's département and scope; raises Rejected when the row cannot be placed or lies
    outside the import's area."""
    resolution = resolve(values, data.get("postal_code", ""), references, forced)
    found = _coordinates(values, notes)
    if found is not None:
        data.update(lon=round(found.longitude, 7), lat=round(found.latitude, 7))
        data.update(approximate=False, checked=True, position=found.how)
        if found.how == How.SWAPPED:
            notes.append(
                _("latitude et longitude inversées dans le fichier : remises dans l'ordre")
            )
        located = _commune_at(found, references)
        departement = (
            located[1]
            if located
            else scope.departement_at(Point(found.longitude, found.latitude, srid=4326))
        )
        if departement is None:
            raise Rejected(
                _(
                    "hors de France (métropole et départements d'outre-mer), à l'étranger "
                    "ou en mer : %(lat)s, %(lon)s"
                )
                % {"lat": data["lat"], "lon": data["lon"]},
                count=SCOPE_COUNT + Scope.ABROAD,
            )
        commune_pk = located[0] if located else None
        if commune_pk is None and resolution.found and resolution.departement == departement:
            found = _loaded(resolution.code, references)  # a point just outside the loaded outlines
            commune_pk = found.pk if found else None
        elif commune_pk is None and resolution.found:
            notes.append(
                _("les coordonnées ne sont pas dans %(commune)s : commune laissée vide")
                % {"commune": resolution.name}
            )
        data["commune"] = commune_pk
        if mapping.get("coordinates_are_communes"):
            # Shown as « environ », at the commune, and queued for a pin check.
            data.update(approximate=True, checked=False, position="centre de commune")
            notes.append(_("coordonnées d'un centre de commune : épingle à vérifier"))
        _in_scope(data, departement, mapping, references)
        return

    commune = _loaded(resolution.code, references) if resolution.found else None
    address = " ".join(
        part
        for part in (
            data.get("address", ""),
            data.get("postal_code", ""),
            commune.name if commune else values.get("commune", ""),
        )
        if part
    )
    # Commune-level answers are not used below: the gazetteer alone is not asked.
    result = geocode(address) if data.get("address") and locates_addresses() else None
    coded = _commune_of(result) if result is not None and not result.approximate else ""
    if coded and _agrees(coded, resolution):
        data.update(lon=round(result.longitude, 7), lat=round(result.latitude, 7))
        data.update(approximate=False, checked=True, position="geocodee")
        commune = _loaded(coded, references)
        data["commune"] = commune.pk if commune else None
        _in_scope(data, _departement_of(coded, commune), mapping, references)
        return
    if coded:
        notes.append(_("adresse trouvée dans une autre commune : position de la commune"))

    if not resolution.found:
        candidates = [c.as_json() for c in resolution.candidates]
        listed = ", ".join(c["label"] for c in candidates)
        problem = resolution.problem or _("ni coordonnées, ni adresse, code postal ou commune")
        raise Rejected(
            _("à vérifier : %(problem)s") % {"problem": problem}
            + (_(" ; candidates : %(list)s") % {"list": listed} if listed else ""),
            count=PLACE_TO_CHECK if candidates else "",
            data={"candidates": candidates} if candidates else {},
        )
    _in_scope(data, resolution.departement, mapping, references)
    if commune is None or commune.center is None:
        raise Rejected(
            _(
                "%(name)s (%(code)s) absente des territoires chargés : importez-les "
                "(manage.py import_territories --all) ou donnez les coordonnées"
            )
            % {"name": resolution.name, "code": resolution.code},
            data={"departement": data["departement"], "scope": data["scope"]},
        )
    center = commune.center
    data.update(lon=round(center.x, 7), lat=round(center.y, 7), commune=commune.pk)
    data.update(approximate=True, checked=False, position="commune")
    notes.append(
        _("position approximative (centre de %(commune)s) : épingle à vérifier")
        % {"commune": commune.name}
    )
    if resolution.how not in ("insee", "postal_name"):
        notes.append(_("commune reconnue par %(how)s") % {"how": names.HOW.get(resolution.how, "")})


def _commune_at(found, references):
    """(pk, département code) of the commune at a row's position, (None, code) where no
    loaded commune is there but a French département is, or None."""
    key = (found.longitude, found.latitude)
    located = getattr(references, "located", None)
    if located is not None and key in located:
        located[key] = located.pop(key)  # the most recently used are kept
        return located[key]
    # pk and département only: the outline is the heavy column.
    point = Point(found.longitude, found.latitude, srid=4326)
    return Commune.objects.containing(point).values_list("pk", "departement__code").first()


def locate_batch(rows_values, references) -> None:
    """Finds the communes of a batch's coordinates together (two statements, where each
    row asked for its own) and keeps them in ``references.located`` for place()."""
    from .clean import postal_code  # clean imports this module

    points, codes = [], set()
    for values in rows_values:
        try:
            found = _coordinates(values, [])
        except Rejected:
            continue
        if found is None:  # placed by its commune: the commune's row, read with the others
            resolution = resolve(
                values, postal_code(values.get("postal_code", "")) or "", references
            )
            if resolution.found and resolution.code not in references.loaded:
                codes.add(resolution.code)
        elif (found.longitude, found.latitude) not in references.located:
            points.append((found.longitude, found.latitude))
    if codes:
        communes = {c.code: c for c in _communes().filter(code__in=codes)}
        for code in codes:
            references.loaded[code] = communes.get(code)
    points = list(dict.fromkeys(points))
    communes = Commune.objects.first_containing(points, "departement__code")
    for index, point in enumerate(points):
        references.located[point] = communes.get(index)
    # Points outside the loaded communes (a national list on a regional site: most of its
    # rows): their département from France's outlines, for the batch together too, where
    # each row asked twice. A point in none (abroad, at sea, or on a quay within the coast
    # margin) is left to scope.departement_at.
    outside = [point for index, point in enumerate(points) if index not in communes]
    departements = FrenchDepartement.objects.first_containing(outside, "code")
    for index, (_pk, code) in departements.items():
        references.located[outside[index]] = (None, code)
    if len(references.located) > LOCATED_KEPT:  # a run's memory stays bounded
        for point in list(references.located)[: len(references.located) - LOCATED_KEPT]:
            del references.located[point]


# Positions whose commune a run keeps (a few batches' worth).
LOCATED_KEPT = 5000


def _coordinates(values: dict, notes: list):
    try:
        if values.get("coordinates", "").strip():
            pair = split_pair(values["coordinates"])
            return position(*pair) if pair and any(pair) else None
        for first_field, second_field in (("latitude", "longitude"), ("x_l93", "y_l93")):
            first = parse_number(values.get(first_field))
            second = parse_number(values.get(second_field))
            if first is None and second is None:
                continue
            if first is None or second is None:
                raise ValidationError(_("une seule des deux coordonnées est remplie"))
            if first == 0 and second == 0:
                notes.append(_("coordonnées (0, 0) ignorées"))
                continue
            return position(first, second)
    except ValidationError as error:
        abroad = getattr(error, "code", "") == "outside_france"
        raise Rejected(
            " ".join(error.messages), count=SCOPE_COUNT + Scope.ABROAD if abroad else ""
        ) from None
    return None


def _in_scope(data: dict, departement: str, mapping: dict, references) -> None:
    where = scope.of_departement(departement, references.bordering)
    data["departement"], data["scope"] = departement, str(where)
    wanted = ImportScope(mapping.get("scope") or DEFAULT_SCOPE)
    if where not in TAKES[wanted]:
        raise Rejected(
            _("hors zone (%(where)s, département %(dep)s) : l'import prend %(scope)s")
            % {"where": where.label, "dep": departement, "scope": wanted.label},
            skip=True,
            count=SCOPE_COUNT + where,
            data={"departement": departement, "scope": str(where)},
        )


def _loaded(code: str, references=None) -> Commune | None:
    """The loaded commune of that code; cached for the run when ``references`` is given (a
    list names the same towns again and again)."""
    if not code:
        return None
    cache = references.loaded if references is not None else {}
    if code not in cache:
        cache[code] = _communes().filter(code=code).first()
    return cache[code]


def _communes():
    # Commune.center reads the outline only when the commune has no town hall.
    return Commune.objects.select_related("departement").defer(
        "outline", "departement__outline", "departement__outline_geojson"
    )


def _commune_of(result) -> str:
    """The commune (today's INSEE code) a geocoder's answer lies in."""
    if not result.commune_code:
        return ""
    found = names.resolve(insee=result.commune_code)
    return found.code if found.found else ""


def _agrees(code: str, resolution) -> bool:
    """Whether the geocoded commune is the one the row names, or one of its candidates
    (an address can tell namesakes apart), or the row names none."""
    if resolution.found:
        return code == resolution.code
    if resolution.candidates:
        return code in {c.code for c in resolution.candidates}
    return resolution.status == names.Status.EMPTY


def _departement_of(code: str, commune: Commune | None) -> str:
    if commune is not None:
        return commune.departement.code
    return names.resolve(insee=code).departement
