"""A worker killed mid-task must not lose the e-mail it was sending (requeue_stuck_tasks)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from directory import mail as mailer
from tests.taskqueue import DATABASE_TASKS, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def _queue_one(settings):
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mailer.send_email(subject="Votre lien", body="Bonjour", to=["proprio@example.org"])
    (task,) = DBTaskResult.objects.filter(task_path="directory.mail.deliver")
    return task


def test_a_task_left_running_by_a_dead_worker_is_sent_after_requeueing(settings):
    task = _queue_one(settings)
    # What a worker killed after claiming it leaves behind.
    DBTaskResult.objects.filter(pk=task.pk).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=20), worker_ids=["mort"]
    )
    run_worker()
    assert not mail.outbox, "a RUNNING task is not picked up again by the worker by itself"

    call_command("requeue_stuck_tasks", verbosity=0)
    run_worker()
    assert [m.subject for m in mail.outbox] == ["Votre lien"], "the abandoned e-mail was lost"
    assert DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL"


def test_a_task_running_for_less_than_the_limit_is_left_alone(settings):
    task = _queue_one(settings)
    DBTaskResult.objects.filter(pk=task.pk).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=2)
    )
    call_command("requeue_stuck_tasks", verbosity=0)
    assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING", (
        "a task a live worker is running must not be given to a second one"
    )
