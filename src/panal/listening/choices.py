from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    REDDIT = "reddit", "Reddit"
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    YOUTUBE = "youtube", "YouTube"
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    RSS = "rss", "RSS / Atom"
    EMAIL = "email", _("E-mail")
    GOOGLE_PLAY = "google_play", "Google Play"
    APP_STORE = "app_store", "App Store"
    API = "api", _("Signed webhook / API")
    FILE = "file", _("File import")


class Kind(models.TextChoices):
    POST = "post", _("Post")
    COMMENT = "comment", _("Comment")
    REPLY = "reply", _("Reply")
    DIRECT_MESSAGE = "direct_message", _("Direct message")
    REVIEW = "review", _("Review")
    MENTION = "mention", _("Mention")
    ARTICLE = "article", _("Article")
    EMAIL = "email", _("E-mail")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")
    UNLISTED = "unlisted", _("Unlisted")


class ReplyCapability(models.TextChoices):
    PUBLIC_REPLY = "public_reply", _("Public reply")
    PRIVATE_REPLY = "private_reply", _("Private reply")
    DM_WINDOW = "dm_window_open_until", _("Direct message within a window")
    NONE = "none", _("Cannot reply")
