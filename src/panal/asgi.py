"""The ASGI application: the networks' webhooks on a fast path, the rest through Django."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panal.settings")
django_application = get_asgi_application()

from panal.channels.fastpath import HookApp  # noqa: E402 - needs the apps loaded

application = HookApp(django_application)
