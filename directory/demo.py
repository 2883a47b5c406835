"""Deterministic, realistic demo data: actors at real places inside commune outlines."""

import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import shapely
from django.contrib.gis.geos import Point
from django.utils.text import slugify

from .demo_pools import (
    ARTISAN_TRADES,
    FIRST_NAMES,
    PLACES,
    PRODUCER_SPECIALITIES,
    SHOP_NAMES,
    STREETS,
    SURNAMES,
)
from .models import Actor, ActorKind, ModerationStatus

SOURCE = "demo"
# The 2020 platform: ~410 producers, 60 shops, 40 artisans out of 600, plus markets,
# pick-up points and basket schemes.
KIND_SHARES = [
    (ActorKind.PRODUCER, 0.55),
    (ActorKind.FARM_SHOP, 0.133),
    (ActorKind.SHOP, 0.10),
    (ActorKind.ARTISAN, 0.067),
    (ActorKind.MARKET, 0.075),
    (ActorKind.PICKUP, 0.05),
    (ActorKind.BASKET, 0.025),
]
# ARCEP's numbers reserved for fiction: never anybody's real line.
FICTION_PREFIXES = ["02 61 91", "06 39 98", "01 99 00", "03 53 01", "04 65 71", "05 36 49"]
FIXED_NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class DemoCommune:
    pk: int
    name: str
    postal_code: str
    population: int
    outline: object  # prepared shapely geometry


@dataclass
class Spec:
    key: str
    actor: Actor
    categories: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    slots: list[tuple[int, time, time, int | None]] = field(default_factory=list)
    seasons: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    # Markets and pick-up points: the day and hours producers come.
    day: tuple[int, time, time] | None = None
    # Markets: (status, since) of their authorisation to open.
    authorisation: tuple[str, object] | None = None
    # Producers: keys of the places they sell at, filled by link_places().
    places: list[tuple[str, int, time, time]] = field(default_factory=list)


def phone_number(index: int) -> str:
    prefix = FICTION_PREFIXES[(index // 10_000) % len(FICTION_PREFIXES)]
    n = index % 10_000
    return f"{prefix} {n // 100:02d} {n % 100:02d}"


def kind_sequence(size: int, rng: random.Random) -> list[str]:
    counts = {kind: int(size * share) for kind, share in KIND_SHARES}
    counts[ActorKind.PRODUCER] += size - sum(counts.values())
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    return kinds


def of(name: str) -> str:
    """French "de" before a place name: "d'Orléans", "du Mans", "de la Ferté", "de Tours"."""
    for article, contracted in (
        ("Le ", "du "),
        ("Les ", "des "),
        ("La ", "de la "),
        ("L'", "de l'"),
    ):
        if name.startswith(article):
            return contracted + name[len(article) :]
    return ("d'" if _ascii(name[:1]).lower() in "aeiouyh" else "de ") + name


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


class DemoGenerator:
    def __init__(self, communes: list[DemoCommune], seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.communes = communes
        # Producers spread over the countryside; shops and markets follow the population.
        self.rural_weights = [math.sqrt(c.population) + 10 for c in communes]
        self.town_weights = [c.population + 50 for c in communes]

    def random_point(self, commune: DemoCommune) -> tuple[float, float]:
        """A uniformly random point inside the commune's outline (rejection sampling)."""
        min_x, min_y, max_x, max_y = shapely.bounds(commune.outline)
        for _ in range(100):
            x, y = self.rng.uniform(min_x, max_x), self.rng.uniform(min_y, max_y)
            if shapely.contains_xy(commune.outline, x, y):
                return x, y
        p = shapely.point_on_surface(commune.outline)
        return p.x, p.y

    def specs(self, size: int) -> list[Spec]:
        rng = self.rng
        kinds = kind_sequence(size, rng)
        rural = rng.choices(range(len(self.communes)), weights=self.rural_weights, k=size)
        town = rng.choices(range(len(self.communes)), weights=self.town_weights, k=size)
        specs = []
        for i, kind in enumerate(kinds):
            commune = self.communes[
                rural[i] if kind in (ActorKind.PRODUCER, ActorKind.FARM_SHOP) else town[i]
            ]
            specs.append(self.spec(i, kind, commune))
        self.link_places(specs)
        return specs

    def spec(self, i: int, kind: str, commune: DemoCommune) -> Spec:
        rng = self.rng
        surname, first = rng.choice(SURNAMES), rng.choice(FIRST_NAMES)
        fmt = {"surname": surname, "place": rng.choice(PLACES), "of_commune": of(commune.name)}
        x, y = self.random_point(commune)
        spec = Spec(key=f"{self.seed}:{i}", actor=None)
        description = ""
        if kind in (ActorKind.PRODUCER, ActorKind.FARM_SHOP):
            templates, cats, products, labels = rng.choice(PRODUCER_SPECIALITIES)
            name = rng.choice(templates).format(**fmt)
            spec.categories = list(cats)
            spec.labels = [lbl for lbl in labels if rng.random() < 0.35]
            spec.modes = ["sur-place"] if kind == ActorKind.FARM_SHOP or rng.random() < 0.5 else []
            spec.modes += [
                m
                for m, p in (
                    ("marche", 0.55),
                    ("point-retrait", 0.45),
                    ("telephone", 0.5),
                    ("livraison", 0.15),
                    ("en-ligne", 0.2),
                    ("panier", 0.1),
                )
                if rng.random() < p
            ]
            description = (
                f"Exploitation familiale installée à {commune.name}. {products.capitalize()}."
            )
            if "sur-place" in spec.modes:
                spec.slots = [(4, time(16), time(19), None), (5, time(9), time(12, 30), None)]
            if "fruits-legumes" in cats and rng.random() < 0.5:
                spec.seasons = [("Saison", 5, 1, 10, 31)]
                spec.slots += [(2, time(17), time(19), 0)]
        elif kind == ActorKind.SHOP:
            name = rng.choice(SHOP_NAMES).format(**fmt)
            products = (
                "produits fermiers de la région : fruits, légumes, fromages, viandes, épicerie"
            )
            spec.categories = rng.sample(
                [
                    "fruits-legumes",
                    "fromage-laitier",
                    "viande",
                    "epicerie",
                    "oeufs",
                    "miel",
                    "boissons",
                ],
                4,
            )
            spec.modes = ["sur-place"] + (["en-ligne"] if rng.random() < 0.3 else [])
            spec.slots = [(d, time(9), time(12, 30), None) for d in range(1, 6)] + [
                (d, time(14, 30), time(19), None) for d in range(1, 6)
            ]
        elif kind == ActorKind.ARTISAN:
            template, cats, products = rng.choice(ARTISAN_TRADES)
            name = template.format(**fmt)
            spec.categories = list(cats)
            spec.modes = ["sur-place", "telephone"]
            spec.slots = (
                [(d, time(7), time(13), None) for d in range(1, 6)]
                + [(d, time(15), time(19, 30), None) for d in range(1, 5)]
                + [(6, time(7, 30), time(12, 30), None)]
            )
        elif kind == ActorKind.MARKET:
            day = rng.choice([2, 5, 5, 6, 3, 1])
            name = f"Marché {of(commune.name)}"
            products = "producteurs locaux, primeurs, fromages, volailles, poissons"
            spec.categories = ["fruits-legumes", "fromage-laitier", "volaille", "pain"]
            spec.modes = ["marche"]
            spec.day = (day, time(8), time(12, 30))
            spec.slots = [(day, time(8), time(12, 30), None)]
            # Spring 2020: markets reopened one prefectoral decision at a time.
            roll = rng.random()
            status = "authorised" if roll < 0.85 else "suspended" if roll < 0.95 else "unknown"
            since = (
                date(2020, 4, 20) + timedelta(days=rng.randint(0, 43))
                if status != "unknown"
                else None
            )
            spec.authorisation = (status, since)
        elif kind == ActorKind.PICKUP:
            day = rng.choice([1, 2, 3, 4])
            name = rng.choice(
                [f"Drive fermier {of(commune.name)}", f"Point relais {surname} – {commune.name}"]
            )
            products = "paniers commandés en ligne auprès des producteurs du secteur"
            spec.modes = ["point-retrait", "en-ligne"]
            spec.day = (day, time(17), time(19))
            spec.slots = [(day, time(17), time(19), None)]
        else:  # basket scheme
            day = rng.choice([2, 3, 4])
            name = f"AMAP {of(commune.name)}"
            products = "paniers hebdomadaires de légumes, œufs, pain et fromages"
            spec.categories = ["fruits-legumes", "oeufs"]
            spec.modes = ["panier"]
            spec.day = (day, time(18), time(19, 30))
            spec.slots = [(day, time(18), time(19, 30), None)]

        approximate = kind == ActorKind.PRODUCER and rng.random() < 0.1
        status = ModerationStatus.PUBLISHED if rng.random() < 0.96 else ModerationStatus.PENDING
        web = f"{slugify(_ascii(name))}.example"
        spec.actor = Actor(
            name=name,
            kind=kind,
            description=description,
            products=products,
            address=f"{rng.randint(1, 60)} {rng.choice(STREETS)}",
            postal_code=commune.postal_code,
            commune_id=commune.pk,
            location=Point(round(x, 6), round(y, 6), srid=4326),
            location_is_approximate=approximate,
            phone=phone_number(i),
            email=f"contact@{web}" if rng.random() < 0.6 else "",
            website=f"https://{web}/" if rng.random() < 0.4 else "",
            contact_name=f"{first} {surname}",
            contact_email=f"{_ascii(first).lower()}.{_ascii(surname).lower()}@{web}",
            status=status,
            source=SOURCE,
            source_key=spec.key,
            confirmed_at=FIXED_NOW - timedelta(days=rng.randint(0, 540)),
        )
        return spec

    def link_places(self, specs: list[Spec]) -> None:
        """Producers sell at 1–2 nearby markets and deliver to pick-up points, sometimes far away."""
        for kind, mode, reach, pick in (
            (ActorKind.MARKET, "marche", 0.45, 2),
            (ActorKind.PICKUP, "point-retrait", 0.8, 1),
        ):
            places = [s for s in specs if s.actor.kind == kind]
            if not places:
                continue
            coords = [(s.actor.location.x, s.actor.location.y) for s in places]
            tree = shapely.STRtree(shapely.points(coords))
            for spec in specs:
                if (
                    spec.actor.kind not in (ActorKind.PRODUCER, ActorKind.FARM_SHOP)
                    or mode not in spec.modes
                ):
                    continue
                x, y = spec.actor.location.x, spec.actor.location.y
                near = tree.query(
                    shapely.box(x - reach, y - reach * 0.7, x + reach, y + reach * 0.7)
                )
                if not len(near):
                    continue
                # Nearest first, by an equirectangular approximation (only a ranking).
                ranked = sorted(
                    near,
                    key=lambda j: (
                        ((coords[j][0] - x) * math.cos(math.radians(y))) ** 2
                        + (coords[j][1] - y) ** 2
                    ),
                )[:5]
                for j in sorted(self.rng.sample(ranked, min(pick, len(ranked)))):
                    day, starts, ends = places[j].day
                    spec.places.append((places[j].key, day, starts, ends))
