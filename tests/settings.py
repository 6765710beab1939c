"""Settings for the test suite: the product's settings with a fast hasher and inline tasks.

Tasks run inline (after commit) so a test sees the pipeline's effect; the database
task backend and its worker are exercised by tests/listening/test_worker.py.
"""

import os
import tempfile

os.environ.setdefault("PANAL_DATA_DIR", tempfile.mkdtemp(prefix="panal-test-"))

from panal.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per run, so parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_panal_{os.getpid()}"}  # noqa: F405
