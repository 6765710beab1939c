"""Each ingested batch becomes a background task that a worker runs: database and RQ backends."""

import pytest
import redis
from django.core.management import call_command
from django.test import override_settings

from panal.listening import pipeline, services
from panal.listening.models import Mention
from panal.listening.normalise import parse_item

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RQ_BACKEND = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def _ingest(account, n, prefix):
    return services.ingest(
        account,
        [parse_item({"external_id": f"{prefix}{i}", "text": f"hola {i}"}) for i in range(n)],
        batch_size=2,
    )


@pytest.mark.django_db(transaction=True)
def test_database_worker_runs_the_pipeline(account):
    with override_settings(TASKS=DB_BACKEND):
        from django_tasks_db.models import DBTaskResult

        _ingest(account, 5, "w")
        assert DBTaskResult.objects.count() == 3  # one task per batch of 2
        assert not Mention.objects.filter(processed_at__isnull=False).exists()
        call_command("panal_worker", "--batch", "--interval", "0")
        assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    done = Mention.objects.filter(external_id__startswith="w")
    assert all(m.stages_done == [s.name for s in pipeline.stages()] for m in done)


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0").ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db(transaction=True)
def test_rq_worker_runs_the_pipeline(account):
    if not _redis_available():
        pytest.fail("Redis on 127.0.0.1:6379 is needed for the RQ backend test")
    import django_rq

    django_rq.get_queue("default").empty()
    with override_settings(TASKS=RQ_BACKEND):
        _ingest(account, 3, "q")
        assert not Mention.objects.filter(processed_at__isnull=False).exists()
        # SimpleWorker runs jobs in this process, so they see the test database.
        worker = django_rq.get_worker(
            "default", job_class="django_tasks_rq.Job", worker_class="rq.worker.SimpleWorker"
        )
        worker.work(burst=True)
    assert (
        Mention.objects.filter(external_id__startswith="q", processed_at__isnull=False).count() == 3
    )


def test_stages_register_like_plugins(account, django_capture_on_commit_callbacks):
    seen = []

    @pipeline.stage("test-probe", order=150)
    def probe(mentions):
        seen.extend(m.external_id for m in mentions)

    try:
        with django_capture_on_commit_callbacks(execute=True):
            _ingest(account, 2, "p")
        assert sorted(seen) == ["p0", "p1"]
        names = [s.name for s in pipeline.stages()]
        assert names.index("normalise") < names.index("test-probe") < names.index("authors")
    finally:
        pipeline._STAGES.pop("test-probe", None)
