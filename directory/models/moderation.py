"""What moderators decide on: reviewed changes, ownership claims, and the log of decisions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    APPROVED = "approved", _("Acceptée")
    REJECTED = "rejected", _("Refusée")
    WITHDRAWN = "withdrawn", _("Remplacée ou retirée")


class ReviewQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=RequestStatus.PENDING)


class Decided(models.Model):
    """A request a moderator accepts or refuses, with who, when and why."""

    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        abstract = True

    def decide(self, moderator, status: str, reason: str = "") -> None:
        self.status, self.decided_by, self.reason = status, moderator, reason
        self.decided_at = timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at", "reason"])


class ChangeRequest(Decided):
    """Changes to the reviewed fields of a published listing (name, kind, position,
    categories), waiting for a moderator while the public keeps seeing the old values."""

    actor = models.ForeignKey(
        "Actor", on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("fiche")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    # JSON snapshots of the reviewed fields only (see directory.moderation.review).
    before = models.JSONField(_("avant"), default=dict)
    after = models.JSONField(_("après"), default=dict)

    class Meta:
        verbose_name = _("modification à valider")
        verbose_name_plural = _("modifications à valider")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.actor} ({self.get_status_display()})"


class Claim(Decided):
    """ "This is me": someone asks to become the owner of an existing listing."""

    actor = models.ForeignKey(
        "Actor", on_delete=models.CASCADE, related_name="claims", verbose_name=_("fiche")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("demandeur"),
    )
    message = models.TextField(_("message"), max_length=2000, blank=True)
    # Made by a merge: the claimant had registered this duplicate of the listing. Its
    # contacts are part of the evidence; the merge itself never moves ownership.
    merged_from = models.ForeignKey(
        "Actor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("doublon fusionné"),
    )

    class Meta:
        verbose_name = _("demande de rattachement")
        verbose_name_plural = _("demandes de rattachement")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "user"],
                condition=models.Q(status="pending"),
                name="one_pending_claim_per_user",
            )
        ]

    def __str__(self):
        return f"{self.actor} ← {self.user} ({self.get_status_display()})"


class Event(models.TextChoices):
    SUBMITTED = "submitted", _("Inscription envoyée")
    EMAIL_CONFIRMED = "email_confirmed", _("E-mail confirmé")
    APPROVED = "approved", _("Fiche publiée")
    REJECTED = "rejected", _("Fiche refusée")
    CHANGE_REQUESTED = "change_requested", _("Modification à valider")
    CHANGE_APPROVED = "change_approved", _("Modification acceptée")
    CHANGE_REJECTED = "change_rejected", _("Modification refusée")
    LIVE_UPDATE = "live_update", _("Mise à jour immédiate")
    CLAIMED = "claimed", _("Demande de rattachement")
    CLAIM_APPROVED = "claim_approved", _("Rattachement accepté")
    CLAIM_REJECTED = "claim_rejected", _("Rattachement refusé")
    OWNER_ATTACHED = "owner_attached", _("Propriétaire rattaché par l'équipe")
    MERGED = "merged", _("Fusionnée")
    CLOSED = "closed", _("Fermeture temporaire")
    UNPUBLISHED = "unpublished", _("Dépubliée par le propriétaire")
    REPUBLISHED = "republished", _("Republiée par le propriétaire")
    DELETION_REQUESTED = "deletion_requested", _("Suppression demandée")
    DELETED = "deleted", _("Supprimée (RGPD)")
    CONFIRMED = "confirmed", _("Informations confirmées")
    REMINDED = "reminded", _("Rappel de confirmation envoyé")
    HIDDEN_STALE = "hidden_stale", _("Masquée faute de confirmation")
    RESTORED = "restored", _("Version restaurée")
    IMPORTED = "imported", _("Importée d'une liste partenaire")
    IMPORT_UPDATED = "import_updated", _("Mise à jour par une liste partenaire")
    SOURCE_DROPPED = "source_dropped", _("Absente de la dernière liste du partenaire")


class ModerationEvent(models.Model):
    """One line of a listing's moderation log. Survives the listing (GDPR deletions are logged)."""

    actor = models.ForeignKey(
        "Actor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("fiche"),
    )
    actor_name = models.CharField(_("nom de la fiche"), max_length=150)
    action = models.CharField(_("action"), max_length=30, choices=Event.choices)  # indexed in Meta
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)
    reason = models.TextField(_("motif"), blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("journal de modération")
        verbose_name_plural = _("journal de modération")
        ordering = ["-at", "-pk"]
        # Not db_index: on PostgreSQL that adds an index for LIKE that no query uses.
        indexes = [models.Index(fields=["action"], name="moderation_event_action")]

    def __str__(self):
        return f"{self.actor_name} — {self.get_action_display()}"
