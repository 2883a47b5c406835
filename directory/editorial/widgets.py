"""The editor's picker for linked listings: search published listings by name, pick several."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _


class ActorPicker(forms.SelectMultiple):
    """A search box over the public API (published listings only, no private data) that
    fills an ordinary multiple select.

    Only the chosen listings are written into the page: the directory may hold 100,000.
    """

    class Media:
        js = ["editorial/actor-picker.js"]
        css = {"all": ["editorial/editor.css"]}

    @staticmethod
    def chosen_ids(value) -> list[int]:
        # A form sent back with errors carries the raw POST values: a crafted "abc" must
        # re-render the form, not crash the query.
        return [int(v) for v in (value or []) if str(v).isdigit()]

    def optgroups(self, name, value, attrs=None):
        self.choices.queryset = self.choices.queryset.filter(pk__in=self.chosen_ids(value))
        return super().optgroups(name, value, attrs)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        select_id = attrs.get("id", f"id_{name}")
        select = super().render(name, value, {**attrs, "hidden": True}, renderer)
        chosen = self.choices.queryset.filter(pk__in=self.chosen_ids(value)).select_related(
            "commune"
        )
        items = format_html_join(
            "",
            '<li data-id="{}"><span>{}</span> <small>{}</small> '
            '<button type="button" class="picker-remove" aria-label="{}">×</button></li>',
            (
                (
                    str(actor.pk),
                    actor.name,
                    actor.commune.name if actor.commune else "",
                    _("Retirer %(name)s") % {"name": actor.name},
                )
                for actor in chosen
            ),
        )
        return format_html(
            '<div class="actor-picker" data-select="{select_id}" data-api="{api}">{select}'
            '<ul class="picker-chosen" aria-live="polite">{items}</ul>'
            '<label for="{select_id}-search">{search_label}</label> '
            '<input type="search" id="{select_id}-search" class="picker-search" autocomplete="off" '
            'placeholder="{placeholder}" aria-controls="{select_id}-results">'
            '<ul class="picker-results" id="{select_id}-results" role="list"></ul>'
            '<p class="picker-status" role="status"></p></div>',
            select_id=select_id,
            api=reverse("directory:api-actors"),
            select=select,
            items=items,
            search_label=_("Chercher une fiche à lier"),
            placeholder=_("Nom, produit ou commune…"),
        )
