from django.urls import path

from . import views

urlpatterns = [
    path("mentions/<int:mention_id>/correct/<str:field>/", views.correct, name="mention-correct"),
    path("models/", views.models_page, name="models"),
    path("models/retrain/", views.retrain, name="models-retrain"),
    path("models/promote/", views.promote, name="models-promote"),
]
