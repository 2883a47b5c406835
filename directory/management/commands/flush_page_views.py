"""manage.py flush_page_views: the page views counted in the shared cache, written to the
figures' table (systemd timer toutpres-flush-page-views, every minute)."""

from django.core.management.base import BaseCommand

from directory.figures.counting import flush_page_views


class Command(BaseCommand):
    help = "Enregistre dans les chiffres les pages vues comptées dans le cache partagé."

    def handle(self, *args, **options):
        moved = flush_page_views()
        self.stdout.write(self.style.SUCCESS(f"{moved} page(s) vue(s) enregistrée(s)."))
