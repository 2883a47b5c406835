"""Admin for territories: searchable, mostly for reference (they come from import_territories)."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from .models import Commune, Departement, PostalCode, Region


@admin.register(Region)
class RegionAdmin(LeafletGeoAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Departement)
class DepartementAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "code"]


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 0


@admin.register(Commune)
class CommuneAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "departement", "population"]
    list_filter = ["departement__region", "departement"]
    search_fields = ["name", "search_name", "code", "postal_codes__code"]
    list_select_related = ["departement"]
    readonly_fields = ["search_name"]
    inlines = [PostalCodeInline]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "commune"]
    search_fields = ["code", "commune__name"]
    list_select_related = ["commune"]
    raw_id_fields = ["commune"]
