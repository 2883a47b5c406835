"""manage.py bootstrap: what `./dev run` needs on a new database, and nothing on an existing one."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from directory.models import Actor
from geodata.models import Commune


class Command(BaseCommand):
    help = (
        "Crée la table du cache partagé, charge les territoires et les données de démonstration "
        "si la base est vide, et crée un "
        "compte administrateur local s'il n'y en a aucun. Ne modifie rien d'existant."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Sans données de démonstration.")
        parser.add_argument(
            "--admin-password-file",
            type=Path,
            help="Créer le compte « admin » (si aucun superutilisateur) et écrire son mot de passe ici.",
        )

    def handle(self, *args, no_demo=False, admin_password_file=None, **options):
        quiet = {"verbosity": options["verbosity"]}
        # The shared cache's table (rate limits), in case migrate ran without our app.
        call_command("createcachetable", **quiet)
        if not Commune.objects.exists():
            self.stdout.write("Territoires : région configurée et départements limitrophes…")
            call_command("import_territories", **quiet)
        if not no_demo and not Actor.objects.exists():
            self.stdout.write("Données de démonstration…")
            call_command("demo_data", **quiet)
        if admin_password_file:
            self.ensure_admin(admin_password_file)

    def ensure_admin(self, path: Path):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        # A random password kept in a file only its owner can read: never a default one.
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@localhost", password)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
        self.stdout.write(
            self.style.SUCCESS(f"Compte administrateur « admin » créé ; mot de passe dans {path}.")
        )
