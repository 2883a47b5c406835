"""Put back in the queue the tasks a dead worker left « running ».

django-tasks' database worker marks a task RUNNING when it claims it and never looks at it
again: a worker killed mid-task (an out-of-memory kill, a reboot, `systemctl kill`) leaves the
task RUNNING for good, and a queued e-mail (a sign-in link) is lost. A task of ours takes
seconds (an SMTP exchange has a timeout, a geocoding request too); one still running after
``--minutes`` (15) has no live worker, and is made READY again. Delivering twice is possible
in the rare case of a worker that is alive but stuck for that long: each message keeps one
Message-ID, so mail clients show a single message; losing it would be worse.

Run by the same timer as the pruning of finished tasks (deploy/systemd/toutpres-prune-tasks.*).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


class Command(BaseCommand):
    help = "Remet en file les tâches laissées « en cours » par un processus de tâches arrêté."

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=15,
            help="Âge à partir duquel une tâche en cours est considérée abandonnée (15).",
        )

    def handle(self, *args, minutes, **options):
        if minutes < 1:
            self.stderr.write("--minutes doit valoir au moins 1.")
            return
        cutoff = timezone.now() - timedelta(minutes=minutes)
        stuck = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff)
        count = stuck.update(status="READY", run_after=timezone.now())
        if count or options["verbosity"] > 1:
            self.stdout.write(f"{count} tâche(s) abandonnée(s) remise(s) en file.")
