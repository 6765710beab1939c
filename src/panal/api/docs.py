"""The API's Swagger page, with its assets served from the django-ninja package.

Ninja's own page loads Swagger from a CDN unless `ninja` is an installed app;
Panal works offline, so this page serves the copies ninja ships instead.
"""

from __future__ import annotations

from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class PackagedSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        namespace = api.urls_namespace
        context = {
            "api": api,
            "swagger_settings": {
                "url": self.get_openapi_url(api, kwargs),
                "layout": "BaseLayout",
                "deepLinking": True,
            },
            "asset": {
                name.split(".")[0].replace("-", "_"): reverse(
                    f"{namespace}:docs-asset", kwargs={"name": name}
                )
                for name in ASSETS
            },
        }
        return render(request, "api/docs.html", context)


def asset_response(name: str) -> FileResponse:
    """One of the few files above, read from the installed package."""
    content_type = ASSETS.get(name)
    if content_type is None:
        raise Http404("No such asset.")
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
