from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "panal.core"
    label = "core"

    def ready(self) -> None:
        from .lookups import register

        register()
