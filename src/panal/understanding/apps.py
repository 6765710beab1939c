from django.apps import AppConfig


class UnderstandingConfig(AppConfig):
    name = "panal.understanding"
    label = "understanding"
    verbose_name = "Understanding"

    def ready(self) -> None:
        from . import (
            intent,  # noqa: F401 - registers the intent stage and its recipe
            stages,  # noqa: F401 - registers the understanding pipeline stages
        )
