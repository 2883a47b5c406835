"""The forms of a listing, step by step: the same ones serve registration and owner editing."""

from django import forms
from django.contrib.gis.geos import Point
from django.core.validators import MaxLengthValidator
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from geodata import gazetteer
from geodata.distance import validate_coordinates
from geodata.geocoding import GazetteerGeocoder

from ..formfields import KeyMultipleChoiceField
from ..models import (
    Actor,
    ActorKind,
    ActorPhoto,
    Category,
    DistributionLink,
    Label,
    OpeningSlot,
    SaleMode,
    ScheduleException,
    Season,
)
from ..photos import PhotoForm, PhotoFormSet
from ..plaintext import plain_text

# Long enough for a real presentation, short enough to keep spam and pasted catalogues out.
TEXT_LIMITS = {"description": 3000, "products": 1000, "proposed_places": 1000, "closed_note": 200}


def plain(value: str) -> str:
    """User text as plain text: tags removed, entities decoded, spaces tidied (the same
    cleaning as partner imports; templates escape it again)."""
    return plain_text(value)


class PlainTextMixin:
    """Strips HTML from every text field of the form, and applies TEXT_LIMITS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in TEXT_LIMITS and isinstance(field, forms.CharField):
                field.max_length = TEXT_LIMITS[name]
                field.widget.attrs["maxlength"] = TEXT_LIMITS[name]
                field.validators.append(MaxLengthValidator(TEXT_LIMITS[name]))

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            field = self.fields.get(name)
            if isinstance(value, str) and isinstance(field, forms.CharField):
                if isinstance(field, (forms.EmailField, forms.URLField)):
                    continue
                data[name] = plain(value)
                if field.required and not data[name]:
                    self.add_error(name, _("Ce champ ne peut pas être vide."))
        return data


def resolve_commune(text: str):
    """The commune a person typed: a name, a postal code, or a suggestion "Olivet (45160)"."""
    name, _sep, rest = text.partition("(")
    name = name.strip()
    found = []
    if rest:
        code = rest.split(")")[0].split(",")[0].strip()
        found = [c for c in gazetteer.search(code, 20) if c.name == name]
    found = found or gazetteer.search(name or text, 1)
    if not found:
        # "Tours 37", "41000 Blois", "Blois, France": what the geocoder's parser understands.
        commune = GazetteerGeocoder().find_commune(text)
        found = [commune] if commune is not None else []
    if not found:
        message = _("Commune introuvable : « %(text)s ».") % {"text": text}
        raise forms.ValidationError(f"{message} {gazetteer.did_you_mean(text)}".strip())
    return found[0]


def commune_field():
    return forms.CharField(
        label=_("Commune"),
        max_length=200,
        help_text=_("Nom ou code postal, par exemple « Olivet » ou « 45160 »."),
        widget=forms.TextInput(attrs={"list": "commune-suggestions", "autocomplete": "off"}),
    )


class Honeypot(forms.Form):
    """A field people never see: robots that fill every input give themselves away."""

    company_url = forms.CharField(
        required=False,
        label=_("Ne pas remplir"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_company_url(self):
        if self.cleaned_data.get("company_url"):
            raise forms.ValidationError(_("Envoi refusé."), code="honeypot")
        return ""


class IdentityForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Actor
        fields = ["name", "kind", "description", "contact_name", "contact_email", "contact_phone"]
        labels = {
            "name": _("Nom de la ferme, du commerce ou du marché"),
            "contact_email": _("Votre e-mail (privé)"),
        }
        help_texts = {
            "contact_email": _(
                "Nous y envoyons un lien pour confirmer, puis pour modifier la fiche. "
                "Jamais affiché."
            ),
            "contact_name": _("Jamais affiché : pour que l'équipe puisse vous joindre."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_email"].required = True
        self.fields["contact_name"].required = True
        self.fields["kind"].widget = forms.RadioSelect(choices=ActorKind.choices)


class RegistrationIdentityForm(Honeypot, IdentityForm):
    """Step one of a registration: the identity, plus the honeypot and a double-submit token."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    commune_name = commune_field()

    class Meta(IdentityForm.Meta):
        pass

    field_order = ["name", "kind", "commune_name", "description"]

    def clean_commune_name(self):
        return resolve_commune(self.cleaned_data["commune_name"])


class OfferForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Actor
        fields = ["categories", "labels", "products"]
        field_classes = {"categories": KeyMultipleChoiceField, "labels": KeyMultipleChoiceField}
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "labels": forms.CheckboxSelectMultiple,
            "products": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"categories": _("Produits"), "products": _("En détail")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.all()
        self.fields["labels"].queryset = Label.objects.all()
        self.fields["categories"].required = True


class PlaceForm(PlainTextMixin, forms.ModelForm):
    """Address, commune, and the pin: geocoded, then dragged on the map or typed in."""

    commune_name = commune_field()
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)

    class Meta:
        model = Actor
        fields = ["address", "postal_code", "location_is_approximate"]
        labels = {
            "location_is_approximate": _("Je travaille à domicile : ne pas montrer ma maison")
        }
        help_texts = {
            "location_is_approximate": _(
                "La carte publique montrera seulement votre commune ; l'adresse reste privée."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actor = self.instance
        if actor.commune_id and not self.is_bound:
            self.initial["commune_name"] = actor.commune.label
        if actor.location and not self.is_bound:
            self.initial["latitude"] = round(actor.location.y, 6)
            self.initial["longitude"] = round(actor.location.x, 6)
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update(step="any", inputmode="decimal")

    def clean_commune_name(self):
        return resolve_commune(self.cleaned_data["commune_name"])

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            raise forms.ValidationError(
                _("Donnez la latitude et la longitude, ou aucune des deux.")
            )
        if lat is not None:
            try:
                lat, lon = validate_coordinates(lat, lon)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
            data["point"] = Point(lon, lat, srid=4326)
        return data

    def address_changed(self) -> bool:
        return bool({"address", "postal_code", "commune_name"} & set(self.changed_data))

    def coordinates_changed(self) -> bool:
        return bool({"latitude", "longitude"} & set(self.changed_data))


class SalesForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Actor
        fields = ["sale_modes", "proposed_places"]
        field_classes = {"sale_modes": KeyMultipleChoiceField}
        widgets = {
            "sale_modes": forms.CheckboxSelectMultiple,
            "proposed_places": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sale_modes"].queryset = SaleMode.objects.all()


class ContactsForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Actor
        fields = ["phone", "email", "website", "shop_url"]
        labels = {"phone": _("Téléphone public (pour les commandes)")}
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_(
            "J'accepte que les informations publiques de cette fiche soient publiées sur le "
            "site et réutilisées en données ouvertes, et que l'équipe conserve mes "
            "coordonnées privées pour gérer la fiche."
        ),
        error_messages={"required": _("Votre accord est nécessaire pour publier la fiche.")},
    )


class SlotForm(forms.ModelForm):
    class Meta:
        model = OpeningSlot
        fields = ["weekday", "opens", "closes", "season"]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].queryset = (
            Season.objects.filter(actor=actor) if actor and actor.pk else Season.objects.none()
        )


class SeasonForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Season
        fields = ["name", "start_day", "start_month", "end_day", "end_month"]


class ExceptionForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = ScheduleException
        fields = ["date", "closed", "opens", "closes", "note"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }


class LinkForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = DistributionLink
        fields = ["place", "weekday", "starts", "ends", "note"]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}),
            "ends": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        if places is not None:
            self.fields["place"].queryset = places


def _formset(model, form, extra, max_num, fk_name=None, formset=forms.BaseInlineFormSet):
    return inlineformset_factory(
        Actor,
        model,
        form=form,
        formset=formset,
        fk_name=fk_name,
        extra=extra,
        max_num=max_num,
        validate_max=True,
        can_delete=True,
    )


SlotFormSet = _formset(OpeningSlot, SlotForm, extra=2, max_num=30)
SeasonFormSet = _formset(Season, SeasonForm, extra=1, max_num=6)
ExceptionFormSet = _formset(ScheduleException, ExceptionForm, extra=1, max_num=30)
LinkFormSet = _formset(DistributionLink, LinkForm, extra=2, max_num=20, fk_name="actor")
PhotosFormSet = _formset(ActorPhoto, PhotoForm, extra=2, max_num=5, formset=PhotoFormSet)
