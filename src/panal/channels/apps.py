"""Channel accounts and the ways mentions come in (docs/channels.md)."""

import importlib
import pkgutil
from pathlib import Path

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "panal.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Built-in connectors register themselves on import, as a plugin's would: every
        # folder here with a `connector` module is one network.
        from .base import load_plugin_connectors

        here = Path(__file__).resolve().parent
        for module in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
            if module.ispkg and (here / module.name / "connector.py").exists():
                importlib.import_module(f"{self.name}.{module.name}.connector")
        load_plugin_connectors()
