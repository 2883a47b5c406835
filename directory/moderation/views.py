"""The moderation desk (/moderation/): queue, reviews with before/after, decisions."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import mail
from ..models import Actor, ModerationStatus
from ..models.moderation import ChangeRequest, Claim, ModerationEvent
from ..roles import staff_permission_required
from . import decisions, evidence, freshness, review
from .duplicates import find_duplicates

moderator_required = staff_permission_required("directory.moderate_actor")

FIELD_LABELS = {
    "name": gettext_lazy("Nom"),
    "kind": gettext_lazy("Type"),
    "address": gettext_lazy("Adresse"),
    "postal_code": gettext_lazy("Code postal"),
    "commune": gettext_lazy("Commune (INSEE)"),
    "location": gettext_lazy("Position (lon, lat)"),
    "approximate": gettext_lazy("Position approximative"),
    "categories": gettext_lazy("Produits"),
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=gettext_lazy("Motif (envoyé au producteur)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Expliquez le refus : le producteur le recevra."))
        return data


class MergeForm(forms.Form):
    into = forms.IntegerField(widget=forms.HiddenInput)


class AttachForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail du propriétaire"))


@moderator_required
def queue(request):
    return render(
        request,
        "moderation/queue.html",
        {
            "new": Actor.objects.filter(status=ModerationStatus.PENDING)
            .select_related("commune", "owner")
            .order_by("updated_at"),
            "changes": ChangeRequest.objects.pending().select_related("actor", "author"),
            "claims": Claim.objects.pending().select_related("actor", "user"),
            "deletions": Actor.objects.filter(deletion_requested_at__isnull=False).order_by(
                "deletion_requested_at"
            ),
            "stale": freshness.awaiting_confirmation()
            .select_related("owner")
            .order_by("reminder_sent_at")[:200],
            # Imported with only a commune for position: the pin is the town hall.
            "pins": Actor.objects.filter(location_checked=False)
            .exclude(import_source=None)
            .exclude(status=ModerationStatus.ARCHIVED)
            .select_related("commune", "import_source")
            .order_by("created_at", "pk")[:200],
            "dropped": Actor.objects.exclude(source_dropped_at=None)
            .exclude(status=ModerationStatus.ARCHIVED)
            .select_related("import_source")
            .order_by("source_dropped_at", "pk")[:200],
            "events": ModerationEvent.objects.select_related("by")[:30],
            # The task queue's e-mails that failed for good, and those still waiting.
            "undelivered": mail.undelivered(),
            "mail_waiting": mail.waiting(),
        },
    )


@moderator_required
def actor_review(request, pk):
    actor = get_object_or_404(
        Actor.objects.select_related("commune__departement", "owner", "merged_into"), pk=pk
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if actor.status != ModerationStatus.PENDING:
            messages.error(request, _("Cette fiche n'attend pas de décision."))
            return redirect("directory:moderation-actor", actor.pk)
        if form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            if form.cleaned_data["decision"] == "approve":
                decisions.approve(actor, request.user, reason)
                messages.success(request, _("Fiche publiée, le producteur est prévenu."))
            else:
                decisions.reject(actor, request.user, reason)
                messages.success(request, _("Fiche refusée, le producteur est prévenu."))
            return redirect("directory:moderation-queue")
    return render(
        request,
        "moderation/actor.html",
        {
            "actor": actor,
            "form": form,
            "duplicates": find_duplicates(actor),
            "attach_form": AttachForm(),
            "events": actor.events.select_related("by")[:50],
            "pending_changes": actor.change_requests.filter(status="pending"),
        },
        status=400 if request.method == "POST" else 200,
    )


@moderator_required
def change_review(request, pk):
    change = get_object_or_404(ChangeRequest.objects.select_related("actor", "author"), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if change.status != "pending":
            raise Http404
        if form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            if form.cleaned_data["decision"] == "approve":
                review.approve_change(change, request.user, reason)
                decisions.change_decided(change, True)
                messages.success(request, _("Modification publiée."))
            else:
                review.reject_change(change, request.user, reason)
                decisions.change_decided(change, False)
                messages.success(request, _("Modification refusée."))
            return redirect("directory:moderation-queue")
    rows = [
        (
            FIELD_LABELS[key],
            change.before.get(key),
            change.after.get(key),
            change.before.get(key) != change.after.get(key),
        )
        for key in review.REVIEWED
    ]
    return render(
        request,
        "moderation/change.html",
        {"change": change, "rows": rows, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@moderator_required
def claim_review(request, pk):
    made = get_object_or_404(
        Claim.objects.select_related("actor__owner", "actor__import_source", "user", "merged_from"),
        pk=pk,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if made.status != "pending":
            raise Http404
        if form.is_valid():
            decisions.decide_claim(
                made,
                request.user,
                form.cleaned_data["decision"] == "approve",
                form.cleaned_data["reason"].strip(),
            )
            messages.success(request, _("Décision enregistrée, le demandeur est prévenu."))
            return redirect("directory:moderation-queue")
    return render(
        request,
        "moderation/claim.html",
        {
            "claim": made,
            "form": form,
            "findings": evidence.findings(made),
            "claimant_domain": evidence.domain_of_email(made.user.email),
        },
        status=400 if request.method == "POST" else 200,
    )


@moderator_required
@require_POST
def merge(request, pk):
    duplicate = get_object_or_404(Actor, pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        raise Http404
    into = get_object_or_404(
        Actor.objects.exclude(status=ModerationStatus.ARCHIVED), pk=form.cleaned_data["into"]
    )
    if into.pk == duplicate.pk or duplicate.status == ModerationStatus.ARCHIVED:
        raise Http404
    claim = decisions.merge(duplicate, into, request.user)
    messages.success(
        request, _("« %(a)s » fusionnée dans « %(b)s ».") % {"a": duplicate.name, "b": into.name}
    )
    if claim is not None:
        messages.info(
            request,
            _(
                "La fiche gardée garde son propriétaire. Le déclarant du doublon (%(email)s) "
                "demande à la gérer : sa demande attend dans la file, avec de quoi la vérifier."
            )
            % {"email": claim.user.email},
        )
    return redirect("directory:moderation-actor", into.pk)


@moderator_required
@require_POST
def attach_owner(request, pk):
    actor = get_object_or_404(Actor, pk=pk)
    form = AttachForm(request.POST)
    if form.is_valid():
        decisions.attach_owner(actor, form.cleaned_data["email"], request.user)
        messages.success(request, _("Propriétaire rattaché : un lien d'accès lui a été envoyé."))
    else:
        messages.error(request, _("E-mail invalide."))
    return redirect("directory:moderation-actor", actor.pk)


@require_POST
def delete_listing(request, pk):
    if not request.user.has_perm("directory.delete_actor"):
        raise PermissionDenied
    actor = get_object_or_404(Actor, pk=pk, deletion_requested_at__isnull=False)
    decisions.delete_for_gdpr(actor, request.user)
    messages.success(request, _("Fiche supprimée ; la suppression est journalisée."))
    return redirect("directory:moderation-queue")
