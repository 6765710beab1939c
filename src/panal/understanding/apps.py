from django.apps import AppConfig


class UnderstandingConfig(AppConfig):
    name = "panal.understanding"
    label = "understanding"
    verbose_name = "Understanding"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the start-up check of the shipped models
            intent,  # noqa: F401 - registers the intent model's recipe
            stages,  # noqa: F401 - registers the understand stage
        )

        # isort: split
        # After intent and stages, whose import order matters to each other.
        from . import (
            entities,  # noqa: F401 - registers the entities stage
            refine,  # noqa: F401 - registers the sentiment_refine stage and its task
            urgency,  # noqa: F401 - registers the urgency stage
        )
