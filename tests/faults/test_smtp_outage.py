"""An SMTP outage longer than the old whole retry schedule: every mail arrives, once.

The schedule is the default one on a clock 100 times faster (worker environment): 30 s
-> 0.3 s, 4 h -> 144 s. On that clock the old schedule (at most 510 s) gave up within
5.1 s; the outage here lasts 8 s.
"""

import re
import time
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse

from ameli_portal.emails import enqueue_email
from ameli_portal.models import AuditEvent, OutboxJob
from ameli_portal.outbox import relay_pending
from tests.factories import StaffFactory
from tests.faults.conftest import relay_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

COMPRESSED = {"JOB_RETRY_BASE_SECONDS": "0.3", "JOB_RETRY_MAX_DELAY_SECONDS": "144", "JOB_MAX_ATTEMPTS": "7"}
OLD_WHOLE_SCHEDULE = 510 / 100
OUTAGE = 8.0


def test_mail_survives_an_smtp_outage_and_a_mail_that_ran_out_is_relaunched(
    smtp_server, start_worker, client
):
    worker = start_worker("smtp", {"EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}", **COMPRESSED})
    inbox = smtp_server.inbox
    patient = [f"patient{i}@exemple.test" for i in range(5)]
    # This mailbox answers "451 try later" for as long as the test says: its schedule runs out.
    inbox.deferred.add("boite-pleine@exemple.test")

    smtp_server.stop()
    started = time.monotonic()
    with transaction.atomic():
        jobs = {to: enqueue_email(template="test", to=[to], context={}) for to in patient}
        doomed = enqueue_email(template="test", to=["boite-pleine@exemple.test"], context={})
    while time.monotonic() - started < OUTAGE:
        relay_pending(older_than_seconds=0)  # as beat does, here every 0.2 s
        time.sleep(0.2)
    assert OUTAGE > OLD_WHOLE_SCHEDULE
    during = OutboxJob.objects.filter(pk__in=[j.pk for j in jobs.values()])
    assert all(job.run_attempts >= 4 and job.failed_at is None for job in during)
    assert inbox.received == []
    smtp_server.start()

    relay_until(lambda: len(inbox.received) >= 5, timeout=120, message="les 5 courriels")
    relay_until(
        lambda: OutboxJob.objects.get(pk=doomed.pk).failed_at,
        timeout=120,
        message="la tâche sans essai restant",
    )
    assert Counter(inbox.received) == Counter(patient)  # each once
    doomed.refresh_from_db()
    assert doomed.state_label == "Échec"
    assert (doomed.run_attempts, doomed.last_error) == (7, "SMTPRecipientsRefused 451")
    gave_up = [
        line for line in worker.log_text().splitlines() if " ERROR " in line and "failed for good" in line
    ]
    assert len(gave_up) == 1 and str(doomed.pk) in gave_up[0]
    assert not re.search(r"patient\d@|boite-pleine@", worker.log_text())  # no address logged

    operator = StaffFactory()
    operator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_outboxjob", "change_outboxjob"])
    )
    client.force_login(operator)
    page = client.get(reverse("admin:ameli_portal_outboxjob_operations")).content.decode()
    assert 'data-state="failed">1<' in page and "SMTPRecipientsRefused 451" in page

    inbox.deferred.clear()  # the mailbox was emptied
    client.post(reverse("admin:ameli_portal_outboxjob_relaunch", args=[doomed.pk]))
    relay_until(
        lambda: "boite-pleine@exemple.test" in inbox.received, timeout=60, message="le courriel relancé"
    )
    relay_until(lambda: OutboxJob.objects.get(pk=doomed.pk).done_at, timeout=30, message="terminée")
    assert inbox.received.count("boite-pleine@exemple.test") == 1
    assert AuditEvent.objects.filter(action="job_relaunch", object_id=str(doomed.pk)).count() == 1
    print(
        f"\n{len(patient)}/{len(patient)} courriels arrivés une fois après {OUTAGE:.0f} s de panne "
        f"(l'ancien calendrier s'arrêtait à {OLD_WHOLE_SCHEDULE:.1f} s) ; 1 en échec, relancé, "
        f"arrivé une fois"
    )
