"""manage.py import_list: a partner's list (CSV, XLSX, GeoJSON), dry run first."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify
from tqdm import tqdm

from directory.imports import mapping as columns
from directory.imports import runs
from directory.imports.places import ImportScope
from directory.imports.report import summary_lines
from directory.models import ActorKind, ImportRun, ImportSource, RunStatus


class Command(BaseCommand):
    help = (
        "Importe la liste d'un partenaire. Analyse d'abord (rien n'est écrit), affiche le "
        "bilan, puis importe si --yes est donné. --resume et --rollback reprennent ou annulent "
        "un import interrompu ou terminé. Voir docs/imports.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="Fichier CSV, XLSX ou GeoJSON.")
        parser.add_argument("--source", help="Nom de la source (créée si nouvelle).")
        parser.add_argument(
            "--licence", help="Licence des données (obligatoire pour une nouvelle source)."
        )
        parser.add_argument("--licence-url", default="")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLONNE=CHAMP",
            help=f"Corrige la correspondance devinée (champs : {', '.join(columns.FIELDS)} ; vide pour ignorer).",
        )
        parser.add_argument("--default-kind", choices=[k.value for k in ActorKind])
        parser.add_argument(
            "--coordinates-are-communes",
            action="store_true",
            help="Les coordonnées du fichier sont des centres de commune (positions approximatives).",
        )
        parser.add_argument(
            "--scope",
            choices=ImportScope.values,
            help="Lignes importées : region (la région seule), bordering (la région et les "
            "départements qui la bordent, par défaut) ou france (toute la France).",
        )
        parser.add_argument(
            "--pending", action="store_true", help="Nouvelles fiches en attente de modération."
        )
        parser.add_argument(
            "--yes", action="store_true", help="Importer après l'analyse, sans demander."
        )
        parser.add_argument("--report", type=Path, help="Écrit le rapport ligne à ligne (CSV).")
        parser.add_argument(
            "--resume", type=int, metavar="IMPORT", help="Reprend un import interrompu."
        )
        parser.add_argument("--rollback", type=int, metavar="IMPORT", help="Annule un import.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        self.show = options["verbosity"] > 0 and not options["no_progress"]
        try:
            if options["resume"] or options["rollback"]:
                return self.continue_run(options)
            run = self.new_run(options)
            self.run_until_done(run, "Analyse", run.total)
            run.refresh_from_db()
            if run.status == RunStatus.FAILED:
                raise CommandError(run.error)
            for line in summary_lines(run):
                self.stdout.write(line)
            if options["report"]:
                from directory.imports.report import write_report

                with open(options["report"], "w", encoding="utf-8", newline="") as handle:
                    write_report(run, handle)
                self.stdout.write(f"Rapport : {options['report']}")
            if not options["yes"]:
                self.stdout.write(
                    f"Rien n'a été écrit. Pour importer : manage.py import_list --resume {run.pk}"
                )
                return
            runs.confirm(run)
            self.import_run(run)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def new_run(self, options) -> ImportRun:
        path = options["file"]
        if path is None or not options["source"]:
            raise CommandError("Donnez le fichier et --source.")
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        source = ImportSource.objects.filter(name=options["source"]).first()
        if source is None:
            if not options["licence"]:
                raise CommandError("Nouvelle source : précisez sa licence (--licence).")
            source = ImportSource.objects.create(
                name=options["source"],
                slug=slugify(options["source"])[:80] or "source",
                licence=options["licence"],
                licence_url=options["licence_url"],
                publish=not options["pending"],
            )
        run = runs.start(source, path, path.name)
        mapped = dict(run.mapping.get("columns", {}))
        for item in options["map"]:
            header, _sep, field = item.partition("=")
            if header not in run.headers:
                raise CommandError(
                    f"Colonne inconnue : {header!r} (colonnes : {', '.join(run.headers)})"
                )
            if field and field not in columns.FIELDS:
                raise CommandError(f"Champ inconnu : {field!r}")
            mapped[header] = field
        self.stdout.write(f"Import n° {run.pk} : {run.total} ligne(s), {run.format.upper()}")
        self.stdout.write("Correspondance : " + json.dumps(mapped, ensure_ascii=False))
        runs.set_mapping(
            run,
            mapped,
            options["default_kind"] or run.mapping.get("default_kind", ""),
            True if options["coordinates_are_communes"] else None,
            scope=options["scope"],
        )
        return run

    def continue_run(self, options):
        pk = options["resume"] or options["rollback"]
        run = ImportRun.objects.filter(pk=pk).first()
        if run is None:
            raise CommandError(f"Import n° {pk} introuvable.")
        if options["rollback"]:
            if run.status != RunStatus.ROLLING_BACK:
                runs.cancel(run)
            self.run_until_done(run, "Annulation", run.position)
            run.refresh_from_db()
            self.stdout.write(
                self.style.SUCCESS(f"Import n° {run.pk} : {run.get_status_display()}.")
            )
            return
        if run.status == RunStatus.ANALYSING:
            self.run_until_done(run, "Analyse", run.total)
            run.refresh_from_db()
        if run.status == RunStatus.ANALYSED:
            runs.confirm(run)
        if run.status != RunStatus.IMPORTING:
            raise CommandError(
                f"Import n° {run.pk} : {run.get_status_display()}, rien à reprendre."
            )
        self.import_run(run)

    def import_run(self, run):
        self.run_until_done(run, "Import", runs.state(run)["total"], initial=run.position)
        run.refresh_from_db()
        for line in summary_lines(run):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Import n° {run.pk} : {run.get_status_display()}."))

    def run_until_done(self, run, label, total, initial=0):
        with tqdm(
            total=total, initial=initial, desc=label, unit=" ligne", disable=not self.show
        ) as bar:
            if not runs.step(run, progress=bar.update):
                raise CommandError(
                    f"Import n° {run.pk} : une autre étape est en cours, ou vient de "
                    f"s'interrompre. Le verrou tombe au plus tard {runs.LOCK_SECONDS // 60} min "
                    "après sa dernière avancée : relancez alors --resume."
                )
