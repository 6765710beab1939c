from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "panal.listening"
    label = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from . import pipeline, stages  # noqa: F401 - registers the built-in stages

        pipeline.load_plugin_stages()
