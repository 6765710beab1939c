from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "panal.channels"
    label = "channels"
    verbose_name = "Channels"
