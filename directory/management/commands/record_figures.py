"""manage.py record_figures: today's counts of listings, for the figures' time series (cron,
daily; the figures page also takes the day's snapshot when it is missing)."""

from django.core.management.base import BaseCommand

from directory.figures.counting import today
from directory.figures.queries import take_snapshot


class Command(BaseCommand):
    help = "Enregistre le nombre de fiches du jour par type, statut et département."

    def handle(self, *args, **options):
        rows = take_snapshot()
        self.stdout.write(
            self.style.SUCCESS(f"{today():%d/%m/%Y} : {rows} ligne(s) de comptage enregistrée(s).")
        )
