"""`panal run`: serve the web app and run the background worker beside it."""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Panal over HTTP (uvicorn) with a background worker process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; no worker.")

    def handle(self, *args, **options):
        import uvicorn

        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(
                [sys.executable, "-m", "panal.cli", "worker"], env=os.environ.copy()
            )
            self.stdout.write(f"Worker started (pid {worker.pid}).")
        self.stdout.write(f"Panal on http://{options['host']}:{options['port']}/ — Ctrl-C stops.")
        try:
            uvicorn.run(
                "panal.asgi:application",
                host=options["host"],
                port=options["port"],
                log_level="warning",
            )
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
