from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/new/", views.inbox_poll, name="inbox-poll"),
    path("inbox/older/", views.inbox_older, name="inbox-older"),
    path("mentions/<int:mention_id>/", views.mention_detail, name="mention-detail"),
    # Login, logout and the language switch (kept out of the root URLconf).
    path("", include("panal.org.urls")),
]
