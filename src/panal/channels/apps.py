"""Channel accounts and the ways mentions come in (docs/channels.md)."""

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "panal.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Built-in connectors register themselves on import, as a plugin's would.
        from .base import load_plugin_connectors
        from .telegram import connector as telegram  # noqa: F401
        from .webhook import connector as webhook  # noqa: F401

        load_plugin_connectors()
