"""manage.py backup DIR: the database, media, import files and secret key, with a manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from directory.backup import BackupError, backup


class Command(BaseCommand):
    help = "Sauvegarde la base, les médias, les fichiers d'import et la clé secrète dans DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Nouveau dossier (ou vide).")

    def handle(self, directory, **options):
        try:
            manifest = backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Sauvegarde {manifest['backend']} écrite dans {directory} "
            f"({len(manifest['migrations'])} migrations)."
        )
        for skipped in manifest["skipped"]:
            self.stderr.write(self.style.WARNING(_("Non sauvegardé : %s") % skipped))
