# Load the GEOS and PROJ that shapely and pyproj bundle *before* any database
# connection: SQLite loads mod_spatialite with RTLD_GLOBAL, and the system GEOS/PROJ
# it pulls in would otherwise capture the symbols of wheels imported afterwards
# (shapely then runs on Debian's older GEOS and, e.g., writes invalid WKB options).
import pyproj  # noqa: E402,F401,I001
import shapely  # noqa: E402,F401
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeodataConfig(AppConfig):
    name = "geodata"
    verbose_name = _("Territoires et géographie")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .spatialite import repair_after_migrate, restore_busy_timeout

        connection_created.connect(restore_busy_timeout, dispatch_uid="geodata.busy_timeout")

        # Not bound to this app's migrations: any app's table rebuild can drop an index.
        post_migrate.connect(repair_after_migrate, dispatch_uid="geodata.repair_spatial_indexes")
