from django.contrib import admin
from django.urls import include, path

from panal.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hooks/", include("panal.channels.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("panal.understanding.urls")),
    path("", include("panal.channels.page_urls")),
    path("", include("panal.engagement.urls")),
    path("", include("panal.listening.urls")),
]
