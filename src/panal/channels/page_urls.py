"""The channels app's pages (the webhooks are in urls.py, under /hooks/)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("mentions/<int:mention_id>/reply/", pages.reply, name="mention-reply"),
    path("replies/<int:outbound_id>/retry/", pages.retry, name="reply-retry"),
    path("channels/", pages.channels_page, name="channels"),
]
