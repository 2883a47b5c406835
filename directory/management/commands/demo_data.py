"""manage.py demo_data: a realistic, deterministic demo directory."""

import time as clock

import shapely
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from directory import dataversion
from directory.demo import SOURCE, DemoCommune, DemoGenerator
from directory.models import (
    Actor,
    Category,
    DistributionLink,
    Label,
    MarketAuthorisation,
    OpeningSlot,
    SaleMode,
    Season,
)
from directory.models.actor import unique_slug_base
from geodata.models import Commune

BATCH = 2000
MAX_SIZE = 500_000


class Command(BaseCommand):
    help = "Génère un annuaire de démonstration réaliste et reproductible (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size", type=int, default=600, help="Nombre d'acteurs (600 par défaut)."
        )
        parser.add_argument("--seed", type=int, default=2020, help="Graine du générateur.")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Répartir sur toutes les communes importées, pas seulement celles de la région.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, size, seed, **options):
        if not 1 <= size <= MAX_SIZE:
            raise CommandError(f"--size doit être compris entre 1 et {MAX_SIZE}.")
        started = clock.monotonic()
        communes = self.load_communes(options["all"])
        specs = DemoGenerator(communes, seed).specs(size)
        existing = set(
            Actor.objects.filter(source=SOURCE, source_key__in=[s.key for s in specs]).values_list(
                "source_key", flat=True
            )
            if size <= 20_000
            else Actor.objects.filter(source=SOURCE).values_list("source_key", flat=True)
        )
        todo = [s for s in specs if s.key not in existing]

        show = options["verbosity"] > 0 and not options["no_progress"]
        refs = {
            "categories": dict(Category.objects.values_list("slug", "pk")),
            "labels": dict(Label.objects.values_list("slug", "pk")),
            "modes": dict(SaleMode.objects.values_list("slug", "pk")),
        }
        slugs = set(Actor.objects.values_list("slug", flat=True))
        with tqdm(total=len(todo), unit=" acteurs", disable=not show, file=self.stderr._out) as bar:
            for start in range(0, len(todo), BATCH):
                batch = todo[start : start + BATCH]
                with transaction.atomic():
                    self.create_batch(batch, refs, slugs)
                bar.update(len(batch))
        links = self.create_links(todo)
        # Links are bulk-created past the signals: the map's tiles and figures must move.
        dataversion.bump()

        if options["verbosity"] > 0:
            by_kind = {}
            for s in todo:
                by_kind[s.actor.get_kind_display()] = by_kind.get(s.actor.get_kind_display(), 0) + 1
            detail = " ; ".join(f"{k} : {n}" for k, n in sorted(by_kind.items()))
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(todo)} acteur(s) créé(s) ({detail or 'aucun'}), {len(existing)} déjà présent(s), "
                    f"{links} lien(s) vers des marchés et points de retrait, en {clock.monotonic() - started:.1f} s."
                )
            )

    def load_communes(self, everywhere: bool) -> list[DemoCommune]:
        qs = (
            Commune.objects.filter(outline__isnull=False)
            .prefetch_related("postal_codes")
            .order_by("code")
        )
        if not everywhere:
            qs = qs.filter(departement__code__in=settings.TOUTPRES_REGION["DEPARTEMENTS"])
        communes = []
        for c in qs.only("pk", "name", "population", "outline"):
            outline = shapely.from_wkb(bytes(c.outline.wkb))
            shapely.prepare(outline)
            codes = sorted(p.code for p in c.postal_codes.all())
            communes.append(
                DemoCommune(c.pk, c.name, codes[0] if codes else "", c.population, outline)
            )
        if not communes:
            raise CommandError(
                "Aucune commune : lancez d'abord « manage.py import_territories » (--all pour --all)."
            )
        return communes

    def create_batch(self, batch, refs, slugs):
        for spec in batch:
            base = unique_slug_base(spec.actor.name)
            slug, n = base, 1
            while slug in slugs:
                n += 1
                slug = f"{base}-{n}"
            slugs.add(slug)
            spec.actor.slug = slug
            spec.actor.search_text = spec.actor.build_search_text()
        Actor.objects.bulk_create([s.actor for s in batch])
        through = []
        for relation, attr, key in (
            (Actor.categories.through, "categories", "category_id"),
            (Actor.labels.through, "labels", "label_id"),
            (Actor.sale_modes.through, "modes", "salemode_id"),
        ):
            through = [
                relation(actor_id=s.actor.pk, **{key: refs[attr][slug]})
                for s in batch
                for slug in getattr(s, attr)
            ]
            relation.objects.bulk_create(through)
        # Bulk link rows send no m2m signal: the stored category keys are refreshed here.
        Actor.objects.filter(pk__in=[s.actor.pk for s in batch]).refresh_category_keys()
        MarketAuthorisation.objects.bulk_create(
            [
                MarketAuthorisation(market_id=s.actor.pk, status=status, since=since)
                for s in batch
                if s.authorisation
                for status, since in [s.authorisation]
            ]
        )
        seasons = [
            (
                s,
                Season(
                    actor_id=s.actor.pk, name=n, start_month=a, start_day=b, end_month=c, end_day=d
                ),
            )
            for s in batch
            for (n, a, b, c, d) in s.seasons
        ]
        Season.objects.bulk_create([season for _, season in seasons])
        season_of = {}
        for spec, season in seasons:
            season_of.setdefault(spec.key, []).append(season.pk)
        OpeningSlot.objects.bulk_create(
            [
                OpeningSlot(
                    actor_id=s.actor.pk,
                    weekday=day,
                    opens=opens,
                    closes=closes,
                    season_id=None if season is None else season_of[s.key][season],
                )
                for s in batch
                for (day, opens, closes, season) in s.slots
            ]
        )

    def create_links(self, todo) -> int:
        wanted = {key for s in todo for key, *_ in s.places}
        pk_of = (
            dict(
                Actor.objects.filter(source=SOURCE, source_key__in=wanted).values_list(
                    "source_key", "pk"
                )
            )
            if len(wanted) <= 20_000
            else dict(Actor.objects.filter(source=SOURCE).values_list("source_key", "pk"))
        )
        links = [
            DistributionLink(
                actor_id=s.actor.pk, place_id=pk_of[key], weekday=day, starts=starts, ends=ends
            )
            for s in todo
            for key, day, starts, ends in s.places
            if key in pk_of
        ]
        DistributionLink.objects.bulk_create(links, batch_size=BATCH)
        return len(links)
