"""Registration (/inscription/) and owner self-service (/mes-fiches/)."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LogoutView
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from geodata.geocoding import geocode

from .. import tasks
from ..models import Actor, ActorKind, ChangeRequest, ModerationStatus
from ..models.moderation import Event
from ..moderation.duplicates import public_lookalikes
from ..moderation.log import log
from ..moderation.review import save_owner_changes
from . import services
from .backends import may_use_links
from .forms import ConsentForm, Honeypot, RegistrationIdentityForm
from .ratelimit import STEPS_WINDOW, allow_request, allow_step, retry_after
from .steps import BY_SLUG, EDITABLE, STEPS, missing, next_step

# Places a producer may sell through: published markets and pick-up points within this
# distance of their own position (a short list rather than the whole country).
PLACES_WITHIN_KM = 80


def register(request):
    """Step one: who. Creates the draft and e-mails a link to come back to it."""
    if request.method == "POST":
        form = RegistrationIdentityForm(request.POST)
        if form.is_valid():
            if not allow_request(request, "register", form.cleaned_data["contact_email"]):
                form.add_error(
                    None, _("Trop d'inscriptions depuis cette adresse : réessayez dans une heure.")
                )
            else:
                actor, created = services.start_registration(request, form)
                services.remember_draft(request, actor)
                if created:
                    messages.success(
                        request,
                        _(
                            "Fiche commencée. Un lien pour la reprendre plus tard vous a été envoyé par e-mail."
                        ),
                    )
                return redirect("directory:owner-step", actor.pk, "quoi")
    else:
        form = RegistrationIdentityForm(
            initial={"token": services.new_token(), "kind": ActorKind.PRODUCER}
        )
    return render(
        request,
        "owner/register.html",
        {"form": form, "steps": STEPS, "current": BY_SLUG["qui"], "actor": None},
        status=400 if request.method == "POST" else 200,
    )


def editable(request, pk) -> Actor:
    """The listing if this visitor may change it (owner, staff, or the session that started
    the draft); a 404 otherwise, so nobody learns which listings exist behind the numbers."""
    actor = get_object_or_404(Actor.objects.select_related("commune", "owner"), pk=pk)
    user = request.user
    if user.is_authenticated and (
        actor.owner_id == user.pk or user.has_perm("directory.change_actor")
    ):
        return actor
    if actor.status == ModerationStatus.DRAFT and actor.pk in services.drafts_in_session(request):
        return actor
    raise Http404


def registering(actor) -> bool:
    return actor.status == ModerationStatus.DRAFT and actor.submitted_at is None


def owner_edit(request, pk):
    actor = editable(request, pk)
    if registering(actor):
        todo = missing(actor)
        return redirect("directory:owner-step", actor.pk, todo[0].slug if todo else "envoi")
    return redirect("directory:owner-home")


def _places(actor):
    places = Actor.objects.published().filter(kind__in=ActorKind.places()).exclude(pk=actor.pk)
    if actor.location is not None:
        places = places.near(actor.location, PLACES_WITHIN_KM)
    else:
        places = places.none()
    return places.order_by("name")


def _build(step, actor, data=None, files=None):
    form = None
    if step.form is ConsentForm:
        form = ConsentForm(data)
    elif step.form is not None:
        form = step.form(data, files, instance=actor)
    formsets = {}
    for prefix, formset_class in step.formsets.items():
        kwargs = {}
        if prefix == "slots":
            kwargs["form_kwargs"] = {"actor": actor}
        if prefix == "links":
            kwargs["form_kwargs"] = {"places": _places(actor)}
        formsets[prefix] = formset_class(data, files, instance=actor, prefix=prefix, **kwargs)
    return form, formsets


def _save_place(request, form, actor) -> tuple[bool, str]:
    """Position from typed or dragged coordinates, else geocoded, else the commune's town
    hall. Returns (placed, query): placed is True when the pin was placed for the owner and
    needs a look; query is the address to geocode again in the background when the pin
    fell back to the town hall (the service was slow or down: the request did not wait)."""
    commune = form.cleaned_data["commune_name"]
    actor.commune = commune
    actor.postal_code = actor.postal_code or (commune.postal_code_list[:1] or [""])[0]
    point = form.cleaned_data.get("point")
    placed, query = False, ""
    if point is None or (form.address_changed() and not form.coordinates_changed()):
        result = None
        if actor.address:
            query = f"{actor.address}, {actor.postal_code} {commune.name}"
            result = geocode(query)
        if result is not None and not result.approximate:
            point, query = result.point, ""
        else:
            point = commune.center
            # The service said « this commune only »: asking again will not do better.
            if result is not None and result.source != "gazetteer":
                query = ""
        placed = True
    actor.location = point
    actor.location_checked = not placed
    return placed, query


def owner_step(request, pk, step):
    actor = editable(request, pk)
    step = BY_SLUG.get(step)
    if step is None:
        raise Http404
    if step.slug == "envoi" and not registering(actor):
        return redirect("directory:owner-home")
    if request.method == "POST" and not allow_step(request):
        response = render(
            request, "owner/throttled.html", {"actor": actor, "current": step}, status=429
        )
        response["Retry-After"] = str(retry_after(STEPS_WINDOW))
        return response
    if request.method == "POST":
        form, formsets = _build(step, actor, request.POST, request.FILES)
        valid = (form is None or form.is_valid()) and all(fs.is_valid() for fs in formsets.values())
        if valid:
            return _save_step(request, actor, step, form, formsets)
    else:
        form, formsets = _build(step, actor)
    context = {
        "actor": actor,
        "steps": STEPS,
        "current": step,
        "form": form,
        "formsets": formsets,
        "registering": registering(actor),
        "missing": missing(actor) if step.slug == "envoi" else [],
    }
    if step.slug == "ou":
        from django.conf import settings

        context["pin_config"] = {
            "tilesUrl": settings.TILES_URL,
            "tilesAttribution": settings.TILES_ATTRIBUTION,
            "center": list(settings.TOUTPRES_REGION["MAP_CENTER"]),
            "zoom": settings.TOUTPRES_REGION["MAP_ZOOM"],
            "label": actor.name,
        }
    if step.slug in ("qui", "envoi") and registering(actor):
        # Public data only (moderation.duplicates): the registrant is a stranger. The full
        # detection, private fields and positions included, is on the moderation page.
        context["lookalikes"] = public_lookalikes(actor)
    return render(
        request, "owner/step.html", context, status=400 if request.method == "POST" else 200
    )


def _save_step(request, actor, step, form, formsets):
    # Geocoding happens before the transaction: on SQLite a transaction holds the only write
    # lock, and a slow network call must not make every other writer wait. Everything the
    # step writes, its e-mails and tasks included (rows of the task queue), is then one
    # transaction: a step cut by a database outage (a 503) leaves nothing behind, and the
    # browser's replay of the same form does the whole step, once.
    user = request.user if request.user.is_authenticated else None
    if step.slug == "envoi":
        if missing(actor):
            messages.error(
                request, _("Il manque des informations : complétez les étapes signalées.")
            )
            return redirect("directory:owner-step", actor.pk, "envoi")
        services.submit(actor, request.user)
        return redirect("directory:owner-submitted", actor.pk)
    placed, refine = False, ""
    request_made = None
    email_changed = (
        form is not None
        and "contact_email" in form.changed_data
        and (form.initial.get("contact_email") or "").lower()
        != form.cleaned_data["contact_email"].lower()
    )
    if form is not None:
        actor = form.save(commit=False)
        if step.slug == "ou":
            placed, refine = _save_place(request, form, actor)
    with transaction.atomic():
        if form is not None:
            categories = (
                form.cleaned_data.get("categories") if "categories" in form.fields else None
            )
            request_made = save_owner_changes(actor, form, user, categories)
            # Categories go through the review rules above; the other relations are live.
            for name in ("labels", "sale_modes"):
                if name in form.cleaned_data:
                    getattr(actor, name).set(form.cleaned_data[name])
        for formset in formsets.values():
            formset.instance = actor
            formset.save()
            if formset.has_changed() and actor.status == ModerationStatus.PUBLISHED:
                log(actor, Event.LIVE_UPDATE, by=user, details={"fields": [formset.prefix]})
        if refine:
            tasks.refine_later(actor, refine)
        if email_changed and allow_request(request, "link", actor.contact_email):
            services.contact_email_changed(actor)
        if request_made:
            services.notify_moderators(actor, change=True)
    if request_made:
        messages.info(
            request,
            _(
                "Modification envoyée à l'équipe : le nom, le type, la position et les "
                "produits sont vérifiés avant publication."
            ),
        )
    if placed:
        messages.info(
            request, _("Vérifiez le repère sur la carte : déplacez-le si besoin, puis continuez.")
        )
        return redirect("directory:owner-step", actor.pk, "ou")
    if registering(actor):
        return redirect("directory:owner-step", actor.pk, next_step(step.slug).slug)
    messages.success(request, _("Modifications enregistrées."))
    return redirect("directory:owner-home")


def owner_submitted(request, pk):
    """ "Thank you"; a POST sends the draft's confirmation e-mail again (a sign-in link would
    not do: signing in adopts no draft)."""
    actor = editable(request, pk)
    waiting = actor.status == ModerationStatus.DRAFT and actor.submitted_at and not actor.owner_id
    if request.method == "POST" and waiting:
        if allow_request(request, "link", actor.contact_email):
            services.send(
                "confirm_email",
                actor.contact_email,
                {"actor": actor, "link": services.draft_link(actor)},
            )
        messages.success(request, _("E-mail de confirmation renvoyé."))
        return redirect("directory:owner-submitted", actor.pk)
    return render(
        request,
        "owner/submitted.html",
        {
            "actor": actor,
            "confirmed": actor.status == ModerationStatus.PENDING,
            "waiting": waiting,
        },
    )


LINK_BACKEND = "directory.registration.backends.OwnerLinkBackend"


def _no_referrer(response):
    # The address holds a token: never hand it to another site, nor to a search engine.
    # (same-origin, not no-referrer: with no-referrer browsers send « Origin: null » with
    # the button's POST, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _link_expired(request, account: str, target: str):
    """A French page saying the link is spent or expired, with a fresh one one click away
    (to the same account, whose address the page never shows) or by typing the address."""
    fresh = None
    if services.relink_pk(account) is not None:
        fresh = FreshLinkForm(initial={"compte": account, "next": target})
    context = {"form": LinkRequestForm(initial={"next": target}), "fresh": fresh}
    return _no_referrer(render(request, "owner/link_expired.html", context, status=403))


@never_cache
def owner_login(request):
    """An e-mailed sign-in link. Opening it shows one button and changes nothing (mail
    scanners open links before people do); the button (a POST) signs in and spends the link."""
    data = request.POST if request.method == "POST" else request.GET
    tokens = data.getlist(settings.SESAME_TOKEN_NAME)
    target = services.safe_next(data.get("next")) or reverse("directory:owner-home")
    account = data.get("compte", "")
    # One token, or none: a second one smuggled into the address is an attack.
    user = services.user_from_link(tokens[0]) if len(tokens) == 1 else None
    if user is None:
        return _link_expired(request, account, target)
    if request.method != "POST":
        context = {"token": tokens[0], "next": target, "compte": account}
        return _no_referrer(render(request, "owner/sign_in.html", context))
    if not services.spend_link(user):  # used meanwhile, from another browser
        return _link_expired(request, account, target)
    login(request, user, backend=LINK_BACKEND)
    # Signing in adopts no draft: a draft goes to its owner only through the confirmation
    # link minted for it (registration_confirm), or anyone could plant one in this account.
    return HttpResponseRedirect(target)


@never_cache
def registration_confirm(request, token):
    """The confirmation link of one draft: opening it shows the draft and a button (a GET
    changes nothing: mail scanners open links); the button makes the account of its e-mail
    the owner, signs an owner account in, and sends a finished draft to moderation."""
    found = services.draft_from_link(token)
    actor, email = found if found is not None else (None, "")
    if actor is None or actor.owner_id is not None:
        if (
            actor is not None
            and request.user.is_authenticated
            and actor.owner_id == request.user.pk
        ):
            return redirect("directory:owner-edit", actor.pk)
        # Unknown, expired, or already used: the owner signs in the ordinary way.
        return _link_expired(request, "", reverse("directory:owner-home"))
    if request.method != "POST":
        return _no_referrer(render(request, "owner/confirm_draft.html", {"actor": actor}))
    # The address the link was sent to, checked again under the draft's lock: a concurrent
    # change of the contact e-mail must not adopt the draft into another address's account.
    owner = services.adopt(actor, email)
    if owner is None:  # confirmed meanwhile from another browser, or its e-mail changed
        return _link_expired(request, "", reverse("directory:owner-home"))
    services.remember_draft(request, actor)
    if may_use_links(owner):
        login(request, owner, backend=LINK_BACKEND)
    else:
        messages.info(request, _("Connectez-vous avec votre mot de passe pour retrouver la fiche."))
    if actor.status == ModerationStatus.PENDING:
        messages.success(
            request, _("E-mail confirmé : votre fiche est transmise à l'équipe de modération.")
        )
        return redirect("directory:owner-home")
    messages.success(request, _("E-mail confirmé. Reprenez l'inscription où vous l'avez laissée."))
    return redirect("directory:owner-edit", actor.pk)


class OwnerLogoutView(LogoutView):
    """« Se déconnecter »: a POST from every page's header (a link or an image cannot)."""

    next_page = "directory:home"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté."))
        return response


class NextField(forms.CharField):
    """Where to go once signed in: kept if it is a safe owner-area path, else dropped (never
    an error: the link then leads to « Mes fiches »)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        return services.safe_next(value) or ""


class LinkRequestForm(Honeypot):
    email = forms.EmailField(label=_("Votre e-mail"), max_length=254)
    next = NextField()


class FreshLinkForm(Honeypot):
    """« Recevoir un nouveau lien » on an expired link's page: the account is signed in it."""

    compte = forms.CharField(widget=forms.HiddenInput, max_length=200)
    next = NextField()

    def clean_compte(self):
        pk = services.relink_pk(self.cleaned_data["compte"])
        if pk is None:
            raise forms.ValidationError(_("Ce lien n'est plus valable."))
        return pk


def _link_sent(request, email):
    context = {"email": email, "link_valid_for": services.link_validity()}
    return render(request, "owner/link_sent.html", context)


def link_request(request):
    """ "Send me a link": the same answer, and the same work in the request, whether the
    address is an owner's, a staff member's or unknown. Looking the address up and sending
    happen in a background task (directory.tasks), so even the time taken tells nothing."""
    asked_next = services.safe_next(request.GET.get("next")) or ""
    if request.method == "POST" and "compte" in request.POST:
        fresh = FreshLinkForm(request.POST)
        if fresh.is_valid():
            pk = fresh.cleaned_data["compte"]
            if allow_request(request, "link", f"account:{pk}"):
                tasks.send_fresh_link.enqueue(pk, fresh.cleaned_data["next"] or None)
            return _link_sent(request, None)
    form = LinkRequestForm(request.POST or None, initial={"next": asked_next})
    if request.method == "POST" and "compte" not in request.POST and form.is_valid():
        email = form.cleaned_data["email"]
        if allow_request(request, "link", email):
            next_path = form.cleaned_data["next"] or asked_next or None
            tasks.send_login_link.enqueue(email, next_path)
        return _link_sent(request, email)
    return render(request, "owner/link_request.html", {"form": form})


def owned_listings(user):
    """The user's listings for their page, pending changes attached (no query per listing)."""
    pending = ChangeRequest.objects.pending()
    return (
        Actor.objects.filter(owner=user)
        .exclude(status=ModerationStatus.ARCHIVED)
        .select_related("commune")
        .prefetch_related(Prefetch("change_requests", pending, to_attr="pending_changes"))
    )


def owner_home(request):
    if not request.user.is_authenticated:
        drafts = Actor.objects.filter(
            pk__in=services.drafts_in_session(request), status=ModerationStatus.DRAFT
        )
        if drafts:
            return render(
                request,
                "owner/home.html",
                {"actors": drafts, "anonymous": True, "edit_steps": EDITABLE},
            )
        return redirect(
            reverse("directory:owner-link")
            + "?"
            + urlencode({"next": reverse("directory:owner-home")})
        )
    return render(
        request,
        "owner/home.html",
        {
            "actors": owned_listings(request.user),
            "closure_form": ClosureForm(),
            "edit_steps": EDITABLE,
        },
    )


class ClosureForm(forms.Form):
    closed_until = forms.DateField(
        label=_("Fermé jusqu'au (inclus)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    closed_note = forms.CharField(label=_("Message"), required=False, max_length=200)

    def clean_closed_until(self):
        value = self.cleaned_data.get("closed_until")
        today = timezone.localdate()
        if value and value < today:
            raise forms.ValidationError(_("Choisissez une date à venir."))
        if value and value > today + datetime.timedelta(days=366):
            raise forms.ValidationError(_("Une fermeture dure au plus un an."))
        return value


def owned(request, pk) -> Actor:
    """Self-service actions: the owner or staff only (not an anonymous draft session)."""
    if not request.user.is_authenticated:
        raise Http404
    return editable(request, pk)


@require_POST
def owner_closure(request, pk):
    actor = owned(request, pk)
    form = ClosureForm(request.POST)
    if not form.is_valid():
        actors = owned_listings(request.user)
        return render(
            request,
            "owner/home.html",
            {
                "actors": actors,
                "closure_form": form,
                "closure_for": actor.pk,
                "edit_steps": EDITABLE,
            },
            status=400,
        )
    from ..moderation.log import log as _log
    from .forms import plain

    actor.closed_until = form.cleaned_data["closed_until"]
    actor.closed_note = plain(form.cleaned_data["closed_note"]) if actor.closed_until else ""
    actor.save(update_fields=["closed_until", "closed_note", "updated_at"])
    _log(actor, Event.CLOSED, by=request.user, details={"until": str(actor.closed_until or "")})
    messages.success(
        request, _("Fermeture enregistrée.") if actor.closed_until else _("Fermeture levée.")
    )
    return redirect("directory:owner-home")


@require_POST
def owner_publication(request, pk):
    """Unpublish (any time) or publish again (only what had been published before)."""
    actor = owned(request, pk)
    if actor.status == ModerationStatus.PUBLISHED:
        actor.status = ModerationStatus.UNPUBLISHED
        log(actor, Event.UNPUBLISHED, by=request.user)
        messages.success(
            request, _("Fiche retirée du site. Vous pouvez la republier quand vous voulez.")
        )
    elif actor.status == ModerationStatus.UNPUBLISHED:
        actor.status = ModerationStatus.PUBLISHED
        log(actor, Event.REPUBLISHED, by=request.user)
        messages.success(request, _("Fiche de nouveau publiée."))
    else:
        raise Http404
    actor.save(update_fields=["status", "updated_at"])
    return redirect("directory:owner-home")


@require_POST
def owner_deletion(request, pk):
    actor = owned(request, pk)
    if actor.deletion_requested_at is None:
        actor.deletion_requested_at = timezone.now()
        actor.save(update_fields=["deletion_requested_at", "updated_at"])
        log(actor, Event.DELETION_REQUESTED, by=request.user)
        services.notify_moderators(actor)
    messages.success(
        request,
        _("Demande de suppression transmise : l'équipe supprimera la fiche et vous préviendra."),
    )
    return redirect("directory:owner-home")


def owner_confirm(request, pk):
    """ "Still correct": a page with one button (a GET never changes anything, because mail
    scanners follow links)."""
    actor = owned(request, pk)
    if request.method == "POST":
        from ..moderation.freshness import confirm

        confirm(actor, request.user)
        messages.success(request, _("Merci ! Informations confirmées."))
        return redirect("directory:owner-home")
    return render(request, "owner/confirm.html", {"actor": actor})


@never_cache
def confirm_by_link(request, token):
    """ "Still correct" from the reminder e-mail, for its whole grace period, without signing
    in: the page has one button (a GET changes nothing), the button confirms (a POST)."""
    from ..moderation import freshness

    actor = freshness.from_confirm_token(token)
    if actor is None:
        owner_pk = freshness.confirm_token_owner(token)
        account = services.sign_account(owner_pk) if owner_pk else ""
        return _link_expired(request, account, reverse("directory:owner-home"))
    if request.method == "POST":
        freshness.confirm(actor, actor.owner)
        messages.success(request, _("Merci ! Informations confirmées."))
        return redirect(actor.get_absolute_url())
    return _no_referrer(render(request, "owner/confirm.html", {"actor": actor, "by_link": True}))


class ClaimForm(forms.Form):
    message = forms.CharField(
        label=_("Comment vous joindre pour vérifier ? (téléphone, fonction…)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def claim(request, slug):
    """ "This is me": ask to manage an existing listing; staff verify before ownership moves."""
    actor = get_object_or_404(Actor.objects.published(), slug=slug)
    if not request.user.is_authenticated:
        messages.info(request, _("Indiquez votre e-mail : le lien reçu vous ramènera ici."))
        return redirect(reverse("directory:owner-link") + "?" + urlencode({"next": request.path}))
    if actor.owner_id == request.user.pk:
        return redirect("directory:owner-home")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from ..moderation.decisions import claim as make_claim
        from .forms import plain

        make_claim(actor, request.user, plain(form.cleaned_data["message"]))
        messages.success(request, _("Demande envoyée : l'équipe vous contactera pour la vérifier."))
        return redirect("directory:owner-home")
    return render(request, "owner/claim.html", {"actor": actor, "form": form})
