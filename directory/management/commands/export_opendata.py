"""manage.py export_opendata: the open-data files, for cron (hourly is plenty)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.opendata.build import FORMATS, build, data_stamp, directory
from directory.opendata.records import split


class Command(BaseCommand):
    help = (
        "Écrit l'annuaire publié en GeoJSON, CSV, JSON-LD et OSM dans OPEN_DATA_DIR (ou "
        "--output), fichiers remplacés d'un coup, jamais à moitié écrits. La page /donnees/ "
        "sert ces fichiers et les reconstruit elle-même quand les données changent. Les fiches "
        "sous une licence incompatible avec celle de l'export (ODbL…) vont dans des fichiers "
        "à part, sous leur licence (tout-pres-odbl.csv…) ; celles sans licence ouverte "
        "reconnue ne sont dans aucun fichier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", action="append", choices=sorted(FORMATS), help="Un format (répétable)."
        )
        parser.add_argument("--output", type=Path, help="Dossier de sortie.")
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression.")

    def handle(self, *args, format=None, output=None, no_progress=False, **options):
        where = output or directory()
        try:
            where.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Dossier inutilisable : {where} ({error})") from error
        stamp = data_stamp()
        progress = not no_progress and options["verbosity"] > 0
        total = 0.0
        where_listings_go = split()
        for licence in [None, *sorted(where_listings_go.separate, key=lambda lic: lic.value)]:
            for key in format or list(FORMATS):
                built = build(FORMATS[key], where, progress=progress, stamp=stamp, licence=licence)
                total += built.seconds
                under = "" if licence is None else f" ({licence.value})"
                self.stdout.write(
                    f"{built.format.label}{under} : {built.rows} fiche(s), "
                    f"{_kib(built.bytes)}, {_seconds(built.seconds)} → {built.path}"
                )
        if where_listings_go.withheld:
            self.stdout.write(
                f"{where_listings_go.withheld} fiche(s) dans aucun fichier : leur source "
                "n'indique pas de licence ouverte reconnue."
            )
        self.stdout.write(self.style.SUCCESS(f"Exports écrits en {_seconds(total)}."))


def _kib(size: int) -> str:
    return f"{size / 1024:.1f}".replace(".", ",") + " Kio"


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " s"
