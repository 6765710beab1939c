"""`panal worker`: run the background worker of the configured task backend."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (database backend by default, RQ when REDIS_URL is set)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Process what is queued, then exit."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_rq"):
            rq_args = ["default", "--job-class", "django_tasks_rq.Job"]
            if options["batch"]:
                rq_args.append("--burst")
            call_command("rqworker", *rq_args)
        elif backend.startswith("django_tasks_db"):
            db_args = ["--queue-name", "*", "--interval", str(options["interval"]), "--no-reload"]
            if options["batch"]:
                db_args.append("--batch")
            call_command("db_worker", *db_args)
        else:
            self.stdout.write(f"The {backend} backend runs tasks inline; no worker is needed.")
