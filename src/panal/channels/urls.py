"""Mounted at /hooks/: one URL per pushing channel account (docs/channels.md)."""

from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("<slug:kind>/<slug:slug>/", views.receive, name="hook"),
]
