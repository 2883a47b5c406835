"""Which SMTP failures a queued e-mail is tried again after, and how long it waits."""

import smtplib

import pytest

from directory import mail as mailer


def test_retry_delays_double_up_to_the_maximum(settings):
    settings.TOUTPRES_MAIL_RETRY = {"ATTEMPTS": 60, "FIRST_DELAY": 30.0, "MAX_DELAY": 3600.0}
    assert [mailer.retry_delay(n) for n in (1, 2, 3, 8, 40)] == [30, 60, 120, 3600, 3600]


@pytest.mark.parametrize(
    "error, temporary",
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPConnectError(421, b"busy"), True),
        (smtplib.SMTPDataError(451, b"try later"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"greylisted")}), True),
        # Our own configuration: fixed by the operator, then the queue goes out.
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), True),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "x@example.org"), True),
        # The recipient or the message, for good.
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_failures_are_tried_again(error, temporary):
    assert mailer._temporary(error) is temporary, error
