"""The steps of a listing's form, in order: registration walks them, owners jump to one."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from . import forms as f


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form: type | None
    formsets: dict = field(default_factory=dict)  # prefix -> formset class
    multipart: bool = False


STEPS = [
    Step("qui", _("Qui êtes-vous ?"), f.IdentityForm),
    Step("quoi", _("Ce que vous vendez"), f.OfferForm),
    Step("ou", _("Où vous trouver"), f.PlaceForm),
    Step(
        "quand",
        _("Quand"),
        None,
        {"slots": f.SlotFormSet, "seasons": f.SeasonFormSet, "exceptions": f.ExceptionFormSet},
    ),
    Step("comment", _("Comment acheter"), f.SalesForm, {"links": f.LinkFormSet}),
    Step("contacts", _("Contacts et photos"), f.ContactsForm, {"photos": f.PhotosFormSet}, True),
    Step("envoi", _("Vérifier et envoyer"), f.ConsentForm),
]
BY_SLUG = {step.slug: step for step in STEPS}
EDITABLE = [step for step in STEPS if step.slug != "envoi"]


def next_step(slug: str) -> Step | None:
    index = [s.slug for s in STEPS].index(slug)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def missing(actor) -> list[Step]:
    """Steps whose required answers are still missing (submission waits for them)."""
    out = []
    if not (actor.name and actor.kind and actor.contact_email):
        out.append(BY_SLUG["qui"])
    if actor.pk and not actor.categories.exists():
        out.append(BY_SLUG["quoi"])
    if actor.commune_id is None or not actor.location_checked:
        out.append(BY_SLUG["ou"])
    return out
