"""A worker killed as a whole (SIGKILL, as the OOM killer does) with 20 PDFs in flight.

The jobs it held come back within a lease (here 10 s instead of 300 s, and the broker's
visibility timeout 10 s instead of 300 s, through the settings of the test process, which
publishes and relays, and the environment of the workers): after a new worker starts,
the 20 documents are ready, each rendered once.
"""

import time

import pytest
from django.db import transaction

from ameli_portal.models import OutboxJob
from attestations import services
from attestations.models import Document
from tests.conftest import wait_for
from tests.factories import InsuredFactory
from tests.faults.conftest import relay_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

COMPRESSED = {"CELERY_VISIBILITY_TIMEOUT": "10", "JOB_LEASE_SECONDS": "10"}
COUNT = 20


def test_the_pdfs_of_a_killed_worker_are_all_made_once_by_the_next_one(start_worker, settings, tmp_path):
    settings.JOB_LEASE_SECONDS = 10
    env = {**COMPRESSED, "PORTAL_VAR_DIR": str(tmp_path / "var")}
    people = InsuredFactory.create_batch(COUNT)
    first = start_worker("first", env, concurrency=2)

    with transaction.atomic():
        documents = [services.document_request(insured=p, kind=Document.Kind.RIGHTS) for p in people]
    ids = [d.pk for d in documents]
    ready = Document.objects.filter(pk__in=ids, status=Document.Status.READY)
    wait_for(lambda: ready.exists(), timeout=120, message="un premier document prêt")
    first.kill()
    killed_at = time.monotonic()
    ready_at_kill = ready.count()
    held = OutboxJob.objects.filter(done_at__isnull=True).count()
    assert ready_at_kill < COUNT and held > 0  # PDFs were in flight when it died

    start_worker("second", env, concurrency=2)
    relay_until(lambda: ready.count() == COUNT, timeout=240, message="les 20 documents")
    elapsed = time.monotonic() - killed_at

    assert Document.objects.filter(owner__in=people).count() == COUNT  # one per person
    files = sorted(p.name for p in (tmp_path / "var" / "private" / "documents").rglob("*.pdf"))
    assert files == sorted(f"{d.public_id}.pdf" for d in documents)  # each rendered once
    jobs = OutboxJob.objects.filter(task_name=services.RENDER_TASK)
    assert jobs.count() == COUNT and not jobs.filter(done_at__isnull=True).exists()
    print(
        f"\nworker tué avec {COUNT - ready_at_kill} PDF non faits ({held} tâches en cours ou en file) ; "
        f"{COUNT}/{COUNT} prêts, une fois chacun, {elapsed:.0f} s après (bail de 10 s)"
    )
