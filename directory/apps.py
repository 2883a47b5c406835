from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Annuaire")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import (
            framing,  # noqa: F401 (registers the EMBED_FRAME_ANCESTORS check)
            photos,  # noqa: F401 (connects the file clean-up on photo deletion)
            security_txt,  # noqa: F401 (registers the SECURITY_CONTACT deploy check)
        )
        from .editorial import images  # noqa: F401 (same for articles' images)
        from .roles import sync_roles

        # After contenttypes/auth have created the permissions (their handlers run first).
        post_migrate.connect(sync_roles, sender=self)
