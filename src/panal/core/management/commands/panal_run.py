"""`panal run`: serve the web app and run the background worker beside it."""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Panal over HTTP (uvicorn) with a background worker process and the channel "
        "listener (`panal listen`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; no worker.")
        parser.add_argument(
            "--no-listen", action="store_true", help="Do not start the channel listener."
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Web server processes (uvicorn workers)."
        )

    def handle(self, *args, **options):
        import uvicorn

        children: list[subprocess.Popen] = []
        if not options["no_worker"]:
            worker = subprocess.Popen(
                [sys.executable, "-m", "panal.cli", "worker"], env=os.environ.copy()
            )
            children.append(worker)
            self.stdout.write(f"Worker started (pid {worker.pid}).")
        if not options["no_listen"]:
            listener = subprocess.Popen(
                [sys.executable, "-m", "panal.cli", "listen"], env=os.environ.copy()
            )
            children.append(listener)
            self.stdout.write(f"Channel listener started (pid {listener.pid}).")
        self.stdout.write(f"Panal on http://{options['host']}:{options['port']}/ — Ctrl-C stops.")
        try:
            uvicorn.run(
                "panal.asgi:application",
                host=options["host"],
                port=options["port"],
                log_level="warning",
                workers=options["workers"] if options["workers"] > 1 else None,
            )
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
