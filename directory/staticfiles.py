"""Static files storage for production (DEBUG off): whitenoise's compressed manifest storage,
which also rewrites the imports between our ES modules (search.js imports ./pins.js) to
their hashed names, so a module and what it imports always come from the same version."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
