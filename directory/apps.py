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
            ratelimit,  # noqa: F401 (registers the shared cache and proxies check)
            security_txt,  # noqa: F401 (registers the SECURITY_CONTACT deploy check)
            site_address,  # noqa: F401 (registers the SITE_URL deploy check)
        )
        from .editorial import images  # noqa: F401 (same for articles' images)
        from .roles import sync_roles

        # After contenttypes/auth have created the permissions (their handlers run first).
        post_migrate.connect(sync_roles, sender=self)

        from . import category_map
        from .models import category_keys

        # The search's map of category keys to slugs forgets edits made in this process;
        # each actor's stored category keys follow its categories.
        category_map.connect()
        category_keys.connect()

        from .cache import create_cache_tables

        # The database cache's table (rate limits) comes with every migrate: a fresh
        # deployment, or the test databases, cannot miss it.
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="directory.cache")

        from geodata.signals import territories_imported

        from .models.position import refresh_after_territories

        # Town halls and outlines moved: the public pins of home-based producers follow.
        territories_imported.connect(refresh_after_territories, dispatch_uid="directory.pins")

        from . import dataversion

        # Writes that change public output bump the data version (map tiles, figures).
        dataversion.connect()
