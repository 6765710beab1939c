"""The `panal` command: Django's management commands under short names (docs/cli.md).

`panal run` serves the web app and the background worker together; every other
word is a management command (`panal ingest FILE`, `panal demo`, `panal migrate`).
"""

import os
import sys

ALIASES = {
    "worker": "panal_worker",
    "run": "panal_run",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panal.settings")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    argv[0] = "panal"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
