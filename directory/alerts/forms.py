from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geodata.gazetteer import did_you_mean
from geodata.geocoding import geocode

from ..models import Category

RADII = [5, 10, 20, 30, 50]


class AlertForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Votre e-mail"), max_length=254)
    place = forms.CharField(
        label=gettext_lazy("Autour de"),
        max_length=150,
        help_text=gettext_lazy("Une commune, un code postal ou une adresse."),
    )
    radius_km = forms.TypedChoiceField(
        label=gettext_lazy("Dans un rayon de"),
        choices=[(r, f"{r} km") for r in RADII],
        coerce=int,
        initial=20,
    )
    categories = forms.ModelMultipleChoiceField(
        Category.objects.all(),
        label=gettext_lazy("Seulement ces produits (facultatif)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="slug",
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "J'accepte de recevoir au plus un e-mail par semaine. Mon adresse ne sert qu'à cela ; "
            "un lien dans chaque e-mail me désabonne."
        )
    )

    def clean_place(self):
        text = " ".join(self.cleaned_data["place"].split())
        result = geocode(text)
        if result is None:
            hint = did_you_mean(text) or _("Essayez un nom de commune ou un code postal.")
            raise forms.ValidationError(
                _("Lieu introuvable : « %(place)s ». %(hint)s"),
                params={"place": text, "hint": hint},
            )
        self.cleaned_data["point"] = result.point
        return result.label
