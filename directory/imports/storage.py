"""Where uploaded partner lists are kept.

Not under MEDIA_ROOT: the web server publishes that folder, and partner lists carry private
contacts (names, phones, e-mails of people not yet on the site). Files here are only read
back by the import code itself and are never given a URL.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="directory.imports.storage.PrivateImportStorage")
class PrivateImportStorage(FileSystemStorage):
    # Read on every use (not cached) so an operator's IMPORT_DIR and tests' overrides apply.
    @property
    def base_location(self):
        return str(settings.TOUTPRES_IMPORT_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Partner list files are private and have no public address.")
