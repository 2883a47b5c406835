from django.urls import path

from . import api, layer, sheet, views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("acteurs/<slug:slug>/", views.actor_detail, name="actor-detail"),
    path("fiche/", sheet.sheet, name="sheet"),
    path("marches/", views.markets, name="markets"),
    path("api/v1/actors/", api.actors, name="api-actors"),
    path("api/v1/places/", api.places, name="api-places"),
    path("api/v1/layer/", layer.layer, name="api-layer"),
    path("api/v1/departements/", api.departements, name="api-departements"),
]
