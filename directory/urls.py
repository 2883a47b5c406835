from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("acteurs/<slug:slug>/", views.actor_detail, name="actor-detail"),
]
