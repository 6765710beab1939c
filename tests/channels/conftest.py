"""The channel tests read the messages in English: the installation's language (Spanish
by default) applies to pages and to reasons stored by background work alike; the
Spanish texts are checked by the browser tests and the translation files."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
