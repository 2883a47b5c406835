"""manage.py restore DIR [--force]: a backup checked against its manifest, then restored."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restaure une sauvegarde (manage.py backup) dans la base et les dossiers configurés."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="Remplacer le contenu d'une base non vide."
        )

    def handle(self, directory, force=False, **options):
        try:
            manifest = restore(directory, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Sauvegarde du {manifest['created']} restaurée.")
