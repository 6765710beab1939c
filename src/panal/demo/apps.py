from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "panal.demo"
    label = "demo"
    verbose_name = "Demo data"
