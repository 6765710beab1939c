from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "panal.api"
    label = "api"
    verbose_name = "API"
