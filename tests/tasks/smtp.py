"""A local SMTP stand-in (aiosmtpd, in a thread) that refuses as told, then accepts."""

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nobody listens on (yet): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Keeps what it accepts; answers ``refusal`` to the next ``refusals`` messages."""

    def __init__(self, refusals=0, refusal="421 4.3.2 Service not available, try later"):
        self.refusals = refusals
        self.refusal = refusal
        self.attempts = 0
        self.messages = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.attempts += 1
        if self.refusals:
            self.refusals -= 1
            return self.refusal
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 Message accepted"


class SMTPStandIn:
    """``start()`` listens on ``port`` (chosen free at creation); ``stop()`` closes it."""

    def __init__(self, handler=None, port=None):
        self.handler = handler or Handler()
        self.port = port or free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def use(self, settings):
        """Point Django's SMTP backend at this stand-in (plain SMTP, no login)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
