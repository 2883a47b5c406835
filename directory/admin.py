"""Admin for the directory: map widget, filters by kind/status/département, moderation actions."""

from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from leaflet.admin import LeafletGeoAdmin
from simple_history.admin import SimpleHistoryAdmin

from .editorial import admin as editorial_admin  # noqa: F401 (registers the editor)
from .formfields import KeyMultipleChoiceField
from .models import (
    Actor,
    ActorPhoto,
    Category,
    ChangeRequest,
    Claim,
    DistributionLink,
    EmbedView,
    Event,
    ImportSource,
    Label,
    MarketAuthorisation,
    ModerationEvent,
    ModerationStatus,
    OpeningSlot,
    SaleMode,
    ScheduleException,
    Season,
)
from .moderation.log import log
from .photos import PhotoForm, PhotoFormSet


class OpeningSlotInline(admin.TabularInline):
    model = OpeningSlot
    extra = 0


class SeasonInline(admin.TabularInline):
    model = Season
    extra = 0


class ScheduleExceptionInline(admin.TabularInline):
    model = ScheduleException
    extra = 0


class DistributionLinkInline(admin.TabularInline):
    model = DistributionLink
    fk_name = "actor"
    extra = 0
    autocomplete_fields = ["place"]


class MarketAuthorisationInline(admin.StackedInline):
    model = MarketAuthorisation
    extra = 0
    max_num = 1


class ActorPhotoInline(admin.TabularInline):
    model = ActorPhoto
    form = PhotoForm
    formset = PhotoFormSet
    extra = 0
    fields = ["preview", "image", "alt_text", "credit", "position"]
    readonly_fields = ["preview"]

    @admin.display(description=_("aperçu"))
    def preview(self, photo):
        if not photo.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-height:80px;max-width:120px">',
            photo.image.url,
            photo.alt_text,
        )


class DepartementFilter(admin.SimpleListFilter):
    title = _("département")
    parameter_name = "departement"

    def lookups(self, request, model_admin):
        from geodata.models import Departement

        return [(d.code, str(d)) for d in Departement.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(commune__departement__code=self.value())
        return queryset


def _set_status(status):
    def action(modeladmin, request, queryset):
        updated = queryset.update(status=status)
        modeladmin.message_user(
            request,
            ngettext(
                "%(n)d fiche passée à « %(status)s ».",
                "%(n)d fiches passées à « %(status)s ».",
                updated,
            )
            % {"n": updated, "status": ModerationStatus(status).label},
            messages.SUCCESS,
        )

    action.__name__ = f"mark_{status}"
    action.short_description = _("Passer au statut « %(status)s »") % {
        "status": ModerationStatus(status).label
    }
    action.allowed_permissions = ("change",)
    return action


@admin.register(Actor)
class ActorAdmin(SimpleHistoryAdmin, LeafletGeoAdmin):
    list_display = ["name", "kind", "commune", "departement", "status", "updated_at"]
    list_filter = [
        "kind",
        "status",
        DepartementFilter,
        "location_checked",
        "import_source",
        "categories",
        "labels",
        "sale_modes",
    ]
    search_fields = ["name", "products", "commune__name", "postal_code", "phone", "email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["commune", "owner"]
    filter_horizontal = ["categories", "labels", "sale_modes"]
    # Posted keys checked before the database sees them (directory.formfields).
    formfield_overrides = {models.ManyToManyField: {"form_class": KeyMultipleChoiceField}}
    readonly_fields = ["created_at", "updated_at", "source", "source_key"]
    date_hierarchy = "created_at"
    inlines = [
        OpeningSlotInline,
        SeasonInline,
        ScheduleExceptionInline,
        DistributionLinkInline,
        MarketAuthorisationInline,
        ActorPhotoInline,
    ]
    actions = [
        _set_status(ModerationStatus.PUBLISHED),
        _set_status(ModerationStatus.PENDING),
        _set_status(ModerationStatus.REJECTED),
        _set_status(ModerationStatus.ARCHIVED),
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "status", "owner"]}),
        (
            _("Présentation"),
            {"fields": ["description", "products", "categories", "labels", "sale_modes"]},
        ),
        (
            _("Lieu"),
            {
                "fields": [
                    "address",
                    "postal_code",
                    "commune",
                    "location",
                    "location_is_approximate",
                    "location_checked",
                ]
            },
        ),
        (_("Contacts publics"), {"fields": ["phone", "email", "website", "shop_url"]}),
        (_("Contact privé"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (
            _("Suivi"),
            {
                "fields": [
                    "confirmed_at",
                    "created_at",
                    "updated_at",
                    "import_source",
                    "source",
                    "source_key",
                    "source_dropped_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_places()

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Restoring a version from the history: kept as a new version by simple-history,
        and written to the moderation log like every other staff decision."""
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if request.method == "POST" and response.status_code == 302:
            actor = Actor.objects.filter(pk=object_id).first()
            if actor is not None:
                log(actor, Event.RESTORED, by=request.user, details={"version": int(version_id)})
        return response

    @admin.display(description=_("département"), ordering="commune__departement__code")
    def departement(self, obj):
        return obj.commune.departement.code if obj.commune_id else "—"


@admin.register(Category, Label, SaleMode)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ChangeRequest, Claim)
class RequestAdmin(admin.ModelAdmin):
    """Read-only here: decisions are taken on the moderation desk (/moderation/)."""

    list_display = ["actor", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["actor__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModerationEvent)
class ModerationEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "by", "reason"]
    list_filter = ["action"]
    search_fields = ["actor_name", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmbedView)
class EmbedViewAdmin(admin.ModelAdmin):
    """Embed views per partner site and day (read-only: the counting is automatic)."""

    list_display = ["day", "origin", "views"]
    list_filter = ["day"]
    search_fields = ["origin"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):
    """Sources are created by the import pages; here staff correct a name or a licence."""

    list_display = ["name", "licence", "partner", "publish", "created_at"]
    fields = ["name", "slug", "partner", "licence", "licence_url", "publish"]
    readonly_fields = ["slug"]

    def has_add_permission(self, request):
        return False
