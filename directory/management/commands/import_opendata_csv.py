"""manage.py import_opendata_csv FILE: load a Tout Près CSV export (mirror, restore)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from directory.opendata.reimport import ImportFormatError, load, read


class Command(BaseCommand):
    help = (
        "Charge un export CSV de Tout Près (colonnes de docs/opendata.md) : crée ou met à jour "
        "une fiche publiée par ligne, reliée par son slug, avec ses horaires et ses lieux de "
        "vente. Tout ou rien : à la moindre ligne illisible, rien n'est écrit."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--delimiter", choices=[";", ","], help="Deviné sinon.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, file, delimiter=None, no_progress=False, **options):
        try:
            rows = read(file, delimiter)
            disabled = no_progress or options["verbosity"] == 0
            report = load(
                rows, progress=lambda r: tqdm(r, desc="Fiches", unit=" fiche", disable=disabled)
            )
        except (OSError, ImportFormatError) as error:
            raise CommandError(str(error)) from error
        for problem in report.errors:
            self.stderr.write(problem)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created} fiche(s) créée(s), {report.updated} mise(s) à jour, "
                f"{report.links} lien(s) vers des lieux de vente, {len(report.errors)} avertissement(s)."
            )
        )
