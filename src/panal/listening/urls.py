from django.urls import include, path

from . import topic_views, views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/new/", views.inbox_poll, name="inbox-poll"),
    path("inbox/older/", views.inbox_older, name="inbox-older"),
    path("mentions/<int:mention_id>/", views.mention_detail, name="mention-detail"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/export.csv", views.reports_export, name="reports-export"),
    # Topics, their queries and the query editor (docs/topics.md#pages).
    path("topics/", topic_views.topics_page, name="topics"),
    path("topics/<int:topic_id>/", topic_views.topic_page, name="topic"),
    path("topics/<int:topic_id>/delete/", topic_views.topic_delete, name="topic-delete"),
    path("topics/<int:topic_id>/backfill/", topic_views.topic_backfill, name="topic-backfill"),
    path("topics/<int:topic_id>/backfills/", topic_views.topic_backfills, name="topic-backfills"),
    path("topics/<int:topic_id>/queries/new/", topic_views.query_new, name="query-new"),
    path("topics/<int:topic_id>/queries/check/", topic_views.query_check, name="query-check"),
    path("queries/<int:query_id>/", topic_views.query_page, name="query"),
    path("queries/<int:query_id>/restore/", topic_views.query_restore, name="query-restore"),
    path("queries/<int:query_id>/delete/", topic_views.query_delete, name="query-delete"),
    path("share-of-voice/", topic_views.share_of_voice_page, name="share-of-voice"),
    path(
        "share-of-voice/export.csv",
        topic_views.share_of_voice_export,
        name="share-of-voice-export",
    ),
    # Login, logout and the language switch (kept out of the root URLconf).
    path("", include("panal.org.urls")),
]
