from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "panal.core"
    label = "core"
