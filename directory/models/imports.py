"""Partner list imports: a source (who sends the list, under which licence, how its columns
map to ours), its runs (one uploaded file each) and one record per row of a run.

A run is analysed first (the dry run writes records, never listings), then applied record
by record when staff confirm, and can be rolled back from the same records.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from directory.imports.storage import PrivateImportStorage


class ImportSource(models.Model):
    """A partner's list: one per organisation and file they send (re-imported over time)."""

    name = models.CharField(_("nom de la source"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    partner = models.ForeignKey(
        "Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_sources",
        verbose_name=_("partenaire"),
    )
    licence = models.CharField(
        _("licence"), max_length=150, help_text=_("Par exemple « Licence Ouverte 2.0 ».")
    )
    licence_url = models.URLField(_("adresse de la licence"), blank=True)
    # {"columns": {header: field}, "default_kind": "producer"}: what the last import used,
    # proposed again for the next file of this source.
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict, blank=True)
    publish = models.BooleanField(
        _("publier directement"),
        default=True,
        help_text=_("Sinon, les nouvelles fiches attendent la modération."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("source importée")
        verbose_name_plural = _("sources importées")
        ordering = ["name"]
        permissions = [("import_actors", _("Peut importer des listes de partenaires"))]

    def __str__(self):
        return self.name

    @property
    def classified_licence(self):
        """The licence its text and URL name (directory.opendata.licences), which decides
        the open-data files its listings go in."""
        from directory.opendata.licences import classify

        return classify(self.licence, self.licence_url)

    @property
    def licence_link(self) -> str:
        """``licence_url`` if it is a web address (pages link to it), else empty."""
        from directory.opendata.licences import web_url

        return web_url(self.licence_url)

    @property
    def licence_family(self):
        from directory.opendata.licences import family

        return family(self.classified_licence)

    @property
    def code(self) -> str:
        """What imported listings carry in Actor.source (unique with their source_key)."""
        return f"liste:{self.slug}"


class RunStatus(models.TextChoices):
    MAPPING = "mapping", _("Colonnes à vérifier")
    ANALYSING = "analysing", _("Analyse en cours")
    ANALYSED = "analysed", _("Analysée : à confirmer")
    IMPORTING = "importing", _("Import en cours")
    DONE = "done", _("Importée")
    ROLLING_BACK = "rolling_back", _("Annulation en cours")
    ROLLED_BACK = "rolled_back", _("Annulée")
    DISCARDED = "discarded", _("Abandonnée sans import")
    FAILED = "failed", _("Fichier illisible")


class ImportRun(models.Model):
    source = models.ForeignKey(
        ImportSource, on_delete=models.CASCADE, related_name="runs", verbose_name=_("source")
    )
    file = models.FileField(
        _("fichier"), upload_to="%Y/%m/", storage=PrivateImportStorage(), max_length=255
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    headers = models.JSONField(_("colonnes du fichier"), default=list)
    mapping = models.JSONField(_("correspondance utilisée"), default=dict)
    status = models.CharField(
        _("état"), max_length=20, choices=RunStatus.choices, default=RunStatus.MAPPING
    )
    total = models.PositiveIntegerField(_("lignes"), default=0)
    # Rows analysed so far (analysis), then records applied or undone (import, rollback):
    # where an interrupted step resumes.
    position = models.PositiveIntegerField(default=0)
    counts = models.JSONField(_("bilan"), default=dict)
    error = models.TextField(_("erreur"), blank=True)
    # A step holds the run until this time, so two tabs never process the same rows.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déposée par"),
    )
    created_at = models.DateTimeField(_("déposée le"), auto_now_add=True)
    analysed_at = models.DateTimeField(_("analysée le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmée par"),
    )
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de liste")
        verbose_name_plural = _("imports de listes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.source} — {self.filename}"


class RecordAction(models.TextChoices):
    CREATE = "create", _("À créer")
    UPDATE = "update", _("À mettre à jour")
    UNCHANGED = "unchanged", _("Inchangée")
    SKIP = "skip", _("Ignorée")
    REJECT = "reject", _("Rejetée")
    DROPPED = "dropped", _("Absente du fichier : signalée")


class ImportRecord(models.Model):
    """One row of the file and what the import does with it (or one listing the partner
    dropped, line 0). ``data`` holds the cleaned values the import writes."""

    # No index of its own: every index below starts with the run.
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    line = models.PositiveIntegerField(_("ligne"))
    action = models.CharField(_("action"), max_length=10, choices=RecordAction.choices)
    reason = models.TextField(_("motif"), blank=True)
    key = models.CharField(_("identifiant dans la source"), max_length=100, blank=True)
    name = models.CharField(_("nom"), max_length=150, blank=True)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(
        "Actor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied = models.BooleanField(default=False)
    # The listing's values before the import changed them: what a rollback puts back.
    before = models.JSONField(default=dict)
    # Duplicate keys of the rows to create, for duplicates within the file (same rules as
    # between listings: phone, e-mail, web site, similar name within 1 km).
    phone = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=254, blank=True)
    site = models.CharField(max_length=255, blank=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)

    class Meta:
        verbose_name = _("ligne importée")
        verbose_name_plural = _("lignes importées")
        ordering = ["run", "line", "pk"]
        indexes = [
            models.Index(fields=["run", "line"], name="import_record_run_line"),
            models.Index(fields=["run", "key"], name="import_record_run_key"),
            models.Index(fields=["run", "phone"], name="import_record_run_phone"),
            models.Index(fields=["run", "email"], name="import_record_run_email"),
            models.Index(fields=["run", "site"], name="import_record_run_site"),
            # Longitude too: a box's rows are then told apart in the index, not each read.
            models.Index(fields=["run", "latitude", "longitude"], name="import_record_run_lat_lon"),
        ]

    def __str__(self):
        return f"{self.run_id}:{self.line} {self.get_action_display()}"
