"""The production task queue in tests: switch to it, see what is queued, run the worker."""

from django.conf import settings
from django.core.management import call_command

DATABASE_TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["database"]}}


def queued_tasks(status="READY") -> list[str]:
    """The task paths waiting in the database queue, oldest first."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(status=status).order_by("enqueued_at")
    return list(rows.values_list("task_path", flat=True))


def run_worker(**options) -> None:
    """Run the real worker (``manage.py db_worker``) until the queue has nothing ready.

    The worker commits and checks its connection as in production: tests that call it
    need ``django_db(transaction=True)`` (PostgreSQL drops a test transaction otherwise)."""
    call_command(
        "db_worker",
        batch=True,
        interval=0,
        reload=False,
        startup_delay=False,
        verbosity=0,
        **options,
    )
