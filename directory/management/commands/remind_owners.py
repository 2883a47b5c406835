"""manage.py remind_owners: the freshness round, for cron (daily is fine; it is idempotent)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from directory.moderation import freshness


class Command(BaseCommand):
    help = (
        "Envoie le rappel « vos informations sont-elles toujours exactes ? » aux propriétaires "
        "des fiches non confirmées depuis FRESHNESS_MONTHS mois, et masque celles restées sans "
        "réponse FRESHNESS_GRACE_DAYS jours après le rappel. Idempotente : au plus un rappel "
        "par période."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compter sans rien envoyer ni masquer."
        )

    def handle(self, *args, dry_run=False, **options):
        def progress(items):
            return tqdm(items, desc="Rappels", unit=" fiche", disable=options["verbosity"] == 0)

        report = freshness.run(progress=progress, dry_run=dry_run)
        prefix = "[essai] " if dry_run else ""
        self.stdout.write(
            f"{prefix}{report.reminded} rappel(s) envoyé(s), {report.hidden} fiche(s) masquée(s) "
            "faute de confirmation."
        )
