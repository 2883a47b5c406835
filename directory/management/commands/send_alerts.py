"""manage.py send_alerts: the weekly « Nouveau près de chez moi » digests (cron: daily or
weekly; each alert gets at most one e-mail a week, and never the same listing twice)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from directory.alerts import services


class Command(BaseCommand):
    help = (
        "Envoie les résumés hebdomadaires des alertes « Nouveau près de chez moi » qui sont "
        "dus, puis oublie les alertes non confirmées (7 jours) ou désabonnées (30 jours). "
        "Relancer la commande n'envoie rien deux fois."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        due = list(services.due().order_by("pk").values_list("pk", flat=True))
        show = options["verbosity"] > 0 and not options["no_progress"]
        mails = listings = 0
        for pk in tqdm(due, desc="Alertes", unit=" alerte", disable=not show):
            alert = services.Alert.objects.get(pk=pk)
            sent = services.send_digest(alert)
            if sent:
                mails += 1
                listings += sent
        unconfirmed, gone = services.purge()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(due)} alerte(s) à échéance, {mails} e-mail(s) envoyé(s) "
                f"({listings} fiche(s)) ; {unconfirmed} non confirmée(s) et {gone} "
                "désabonnée(s) oubliée(s)."
            )
        )
