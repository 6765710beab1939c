from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/new/", views.inbox_poll, name="inbox-poll"),
    path("inbox/older/", views.inbox_older, name="inbox-older"),
    path("mentions/<int:mention_id>/", views.mention_detail, name="mention-detail"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/export.csv", views.reports_export, name="reports-export"),
    # Login, logout and the language switch (kept out of the root URLconf).
    path("", include("panal.org.urls")),
]
