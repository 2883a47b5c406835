"""The editor: Django admin for articles, with live preview, picker, images and history.

Editors (group "Rédaction") publish and schedule; contributors (group "Contributeurs",
partners) write drafts and send them for review, and only see their own articles.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import clock
from ..formfields import KeyMultipleChoiceField
from ..models import Actor
from ..models.editorial import Article, ArticleImage, ArticleStatus, Partner
from ..photos import PhotoField, normalise_if_new
from .images import refresh_article_images
from .widgets import ActorPicker


class ArticleImageForm(forms.ModelForm):
    class Meta:
        model = ArticleImage
        fields = ["image", "alt_text", "credit", "position"]
        field_classes = {"image": PhotoField}

    def clean_image(self):
        return normalise_if_new(self.cleaned_data.get("image"))


class ArticleImageInline(admin.TabularInline):
    model = ArticleImage
    form = ArticleImageForm
    extra = 0


class ArticleForm(forms.ModelForm):
    actors = KeyMultipleChoiceField(
        queryset=Actor.objects.published(),
        required=False,
        widget=ActorPicker,
        label=_("Fiches liées"),
        help_text=_(
            "Les fiches publiées dont parle l'article : mini-carte et cartes sur l'article, "
            "« Vu dans Fenêtre sur… » sur chaque fiche."
        ),
    )

    class Meta:
        model = Article
        fields = [
            "title", "slug", "kind", "partner", "lead", "body", "cover", "cover_alt",
            "credits", "actors", "status", "publish_at", "featured",
        ]  # fmt: skip
        field_classes = {"cover": PhotoField}

    def __init__(self, *args, can_publish=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_publish = can_publish
        if not can_publish and "status" in self.fields:
            self.fields["status"].choices = [
                (ArticleStatus.DRAFT, ArticleStatus.DRAFT.label),
                (ArticleStatus.REVIEW, ArticleStatus.REVIEW.label),
            ]

    def clean_cover(self):
        return normalise_if_new(self.cleaned_data.get("cover"))

    def clean(self):
        data = super().clean()
        if data.get("cover") and not data.get("cover_alt"):
            self.add_error(
                "cover_alt", _("Décrivez l'image : elle est lue aux personnes aveugles.")
            )
        if data.get("status") == ArticleStatus.PUBLISHED:
            if not self.can_publish:
                self.add_error("status", _("Seule l'équipe de rédaction publie les articles."))
            elif not data.get("publish_at"):
                data["publish_at"] = clock.now()  # "publish" with no date: now
        return data


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "website")
    search_fields = ("name",)


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleForm
    inlines = [ArticleImageInline]
    list_display = ("title", "kind", "state_label", "publish_at", "partner", "author", "featured")
    list_filter = ("status", "kind", "featured", "partner")
    search_fields = ("title", "lead", "body")
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("state_label", "preview_link", "live_preview", "author")
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "partner", "lead")}),
        (_("Texte"), {"fields": ("body", "live_preview")}),
        (_("Image de couverture"), {"fields": ("cover", "cover_alt", "credits")}),
        (_("Fiches liées"), {"fields": ("actors",)}),
        (
            _("Publication"),
            {
                "fields": (
                    "status",
                    "publish_at",
                    "featured",
                    "state_label",
                    "preview_link",
                    "author",
                )
            },
        ),
    )

    class Media:
        js = ["editorial/editor.js"]
        css = {"all": ["editorial/editor.css"]}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        can_publish = request.user.has_perm("directory.publish_article")

        class RoleForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, can_publish=can_publish, **kw)

        return RoleForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("directory.publish_article"):
            fields += ["publish_at", "featured"]
        return fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("partner", "author")
            .editable_by(request.user)
        )

    def _contributor_locked(self, request, obj) -> bool:
        # A contributor's article, once published or scheduled, is the editors' to change.
        return (
            obj is not None
            and not request.user.has_perm("directory.publish_article")
            and obj.status == ArticleStatus.PUBLISHED
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._contributor_locked(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._contributor_locked(
            request, obj
        )

    @admin.display(description=_("état"))
    def state_label(self, obj):
        return obj.get_state_display() if obj.pk else "—"

    @admin.display(description=_("aperçu privé"))
    def preview_link(self, obj):
        if not obj.pk:
            return _("Enregistrez pour obtenir le lien d'aperçu.")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a><br><small>{}</small>',
            obj.get_preview_url(),
            _("Voir l'aperçu"),
            _("Ce lien montre l'article avant publication à qui le reçoit."),
        )

    @admin.display(description=_("aperçu en direct"))
    def live_preview(self, obj):
        return format_html(
            '<div id="markdown-preview" data-url="{}" aria-live="polite"></div>',
            reverse("directory:article-preview"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_article_images(form.instance)
