"""Every e-mail the site sends leaves the request through the task queue (settings.TASKS).

Why: an answer that waits for SMTP takes longer when there is something to send, so the
time a request takes tells whether an address has an account; and an SMTP server that is
down must neither fail the request nor lose the message. ``send_email`` turns a rendered
message into plain data (strings only, never a lazy object nor a model) and enqueues
``deliver``; the worker (``manage.py db_worker``) sends it through Django's mail backend.

With the database backend the task is a row written in the caller's transaction: a
request that rolls back sends nothing, and a committed one always has its e-mail queued.

A temporary SMTP failure (connection refused or cut, time-out, 4xx answer) enqueues the
same message again, later (TOUTPRES_MAIL_RETRY: doubling delays), with the same
Message-ID; a permanent one (5xx, or the attempts spent) fails the task: it is logged and
listed as failed in the administration (Django Tasks DB › Task results).
"""

import datetime
import logging
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The SMTP server refused the message for good, or kept failing for too long."""


def message_data(subject, body, to, headers=None, from_email=None) -> dict:
    """The message as JSON-safe data: what a task may carry."""
    headers = {str(k): str(v) for k, v in (headers or {}).items()}
    # Given once, here: a retried message keeps its Message-ID, so a receiver that got a
    # copy before the connection broke can tell it is the same one.
    headers.setdefault("Message-ID", make_msgid(domain=DNS_NAME))
    return {
        "subject": str(subject),
        "body": str(body),
        "to": [str(address) for address in to],
        "from_email": str(from_email or settings.DEFAULT_FROM_EMAIL),
        "headers": headers,
    }


def send_email(subject, body, to, headers=None, from_email=None):
    """Queue one plain-text e-mail (see the module's docstring); returns the task result."""
    return deliver.enqueue(message_data(subject, body, to, headers, from_email))


def _temporary(exc: Exception) -> bool:
    """True if trying again later may succeed: the server is down or said « try later »,
    or our side is misconfigured (login, sender, TLS): once the operator fixes it, the
    waiting e-mails go out. Only a refusal of the recipient or the message is final."""
    if isinstance(
        exc,
        (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError),
    ):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Refused or cut connections, time-outs, TLS hiccups, a server that hung up.
    return isinstance(exc, (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError))


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: FIRST_DELAY, doubling, at most MAX_DELAY."""
    config = settings.TOUTPRES_MAIL_RETRY
    return min(config["MAX_DELAY"], config["FIRST_DELAY"] * 2 ** (attempt - 1))


@task()
def deliver(message: dict, attempt: int = 1) -> dict:
    """Send one queued e-mail; on a temporary failure queue it again, later."""
    email = EmailMessage(
        message["subject"],
        message["body"],
        message["from_email"],
        message["to"],
        headers=message["headers"],
    )
    try:
        email.send()
    except Exception as exc:
        recipients = ", ".join(message["to"])
        attempts = settings.TOUTPRES_MAIL_RETRY["ATTEMPTS"]
        backend = deliver.get_backend()
        if _temporary(exc) and attempt < attempts and backend.supports_defer:
            delay = retry_delay(attempt)
            run_after = timezone.now() + datetime.timedelta(seconds=delay)
            retry = deliver.using(run_after=run_after).enqueue(message, attempt + 1)
            logger.warning(
                "E-mail to %s not sent (attempt %d: %s); trying again in %d s (task %s).",
                recipients,
                attempt,
                exc,
                delay,
                retry.id,
            )
            return {"sent": False, "attempt": attempt, "retry": str(retry.id)}
        logger.error(
            "E-mail to %s « %s » not sent after %d attempt(s): %s",
            recipients,
            message["subject"],
            attempt,
            exc,
        )
        raise DeliveryFailed(f"{recipients}: {exc}") from exc
    return {"sent": True, "attempt": attempt}


def _results():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=f"{__name__}.deliver")


def undelivered(limit: int = 50) -> list[dict]:
    """The e-mails that failed for good, newest first, for the moderation desk: recipient,
    subject, when and why (never the body: a sign-in link is a credential)."""
    rows = _results().filter(status="FAILED").order_by("-finished_at")[:limit]
    found = []
    for row in rows:
        args = (row.args_kwargs or {}).get("args") or [{}]
        message = args[0] if isinstance(args[0], dict) else {}
        lines = (row.traceback or "").strip().splitlines()
        found.append(
            {
                "id": row.id,
                "to": ", ".join(message.get("to") or []),
                "subject": message.get("subject", ""),
                "at": row.finished_at,
                "error": lines[-1] if lines else row.exception_class_path,
            }
        )
    return found


def waiting() -> int:
    """E-mails queued and not sent yet (retries of a failing SMTP server included)."""
    return _results().filter(status="READY").count()
