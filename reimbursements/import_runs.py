"""Imports of uploaded CSV files, run by a job: any size, progress saved per batch.

`import_run_start` stores the upload privately, records the run (audited) and
enqueues `import_run_job` through the outbox. The job claims the run, then
imports the file *after* its own transaction commits: `run_once` (jobs.py)
runs a job's body in one transaction, and an import must commit batch by
batch (one transaction each, progress visible while it runs). The claim
(pending -> running) makes a retried or redelivered job a no-op.

A worker that dies mid-file (killed, machine restarted) leaves its run
"running" with no batch finishing: the run then shows "Interrompu", and staff
relaunch it (`import_run_resume`). The file is read again from the start; the
sheets this run already imported are recognised by their reference and counted
as imported, the others are imported now.
"""

from __future__ import annotations

import io
import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.jobs import job
from ameli_portal.outbox import enqueue

from .importing import ImportReport, ImportSuperseded, import_care_sheets, write_rejections
from .models import ImportRun

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000


def count_lines(fileobj) -> int:
    """Data lines of a file (header excluded), read in binary chunks: constant memory."""
    lines, last = 0, b"\n"
    fileobj.seek(0)
    while chunk := fileobj.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    fileobj.seek(0)
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


@transaction.atomic
def import_run_start(*, upload, post: bool, actor) -> ImportRun:
    """Keep the uploaded file (private storage), record the run, have a job import it."""
    run = ImportRun(file_name=upload.name[:200], file_size=upload.size, post=post, launched_by=actor,
                    lines_total=count_lines(upload))
    run.file.save("fichier.csv", upload, save=False)
    run.save()
    audit(actor=actor, action="import", obj=run,
          summary=f"{run.file_name[:100]} : {run.lines_total} ligne(s), "
                  f"{'avec' if post else 'sans'} liquidation")
    enqueue(import_run_job, run.pk)
    return run


def import_run_resume(*, run: ImportRun, actor) -> bool:
    """Start an interrupted or failed run again; return whether it was (still) to be resumed."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None or not locked.can_resume:
            return False
        locked.status, locked.error, locked.finished_at = ImportRun.Status.PENDING, "", None
        locked.resumed += 1
        locked.save(update_fields=["status", "error", "finished_at", "resumed"])
        audit(actor=actor, action="import_resume", obj=locked,
              summary=f"{locked.file_name[:100]} : relance n° {locked.resumed} "
                      f"({locked.lines_read} ligne(s) lues avant l'arrêt)")
        enqueue(import_run_job, locked.pk)
    return True


@job("reimbursements.import_run")
def import_run_job(run_id: int) -> None:
    run = ImportRun.objects.select_for_update().filter(pk=run_id, status=ImportRun.Status.PENDING).first()
    if run is None:
        return
    run.status, run.started_at = ImportRun.Status.RUNNING, timezone.now()
    run.heartbeat_at = run.started_at
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    attempt = run.resumed  # the relaunch this job was sent for
    transaction.on_commit(lambda: import_run_execute(run_id=run_id, attempt=attempt))


def import_run_execute(*, run_id: int, attempt: int | None = None) -> ImportRun:
    """Import the run's file, batch by batch; the run's counters follow each batch.

    ``attempt``: the relaunch number this execution was started for (the run's current one
    by default). Each batch locks the run and goes on only if no later relaunch took it
    over: a worker thought dead but only slow stops at its next batch instead of importing
    alongside the relaunch, and a relaunch waits for the batch in progress.
    """
    run = ImportRun.objects.select_related("launched_by").get(pk=run_id)
    attempt = run.resumed if attempt is None else attempt
    mine = ImportRun.objects.filter(pk=run_id, resumed=attempt)

    def guard() -> None:
        if not ImportRun.objects.select_for_update().filter(pk=run_id, resumed=attempt).exists():
            raise ImportSuperseded

    def saved(report: ImportReport) -> None:
        mine.update(
            lines_read=report.rows, lines_imported=report.rows_imported,
            lines_rejected=report.rows_rejected, sheets_imported=report.sheets_imported,
            import_batch=report.tag, heartbeat_at=timezone.now())

    try:
        with run.file.open("rb") as raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            # A relaunch keeps the run's tag: what the run imported before is known by it.
            report = import_care_sheets(stream, actor=run.launched_by, post=run.post, batch_size=BATCH_SIZE,
                                        on_batch=saved, tag=run.import_batch or None, attempt=attempt,
                                        guard=guard)
    except ImportSuperseded:
        logger.warning("import run %s: attempt %s stopped, a relaunch has taken over", run_id, attempt)
        return ImportRun.objects.get(pk=run_id)
    except Exception as exc:  # noqa: BLE001 - the run must say it failed, whatever the fault
        logger.exception("import run %s failed", run_id)
        mine.update(
            status=ImportRun.Status.FAILED, finished_at=timezone.now(),
            error=f"Erreur inattendue ({type(exc).__name__}) : l'import s'est arrêté ; "
                  "les lots déjà terminés restent importés.")
        return ImportRun.objects.get(pk=run_id)
    saved(report)
    run.refresh_from_db()
    if run.resumed != attempt:  # relaunched after this attempt's last batch: the relaunch reports
        return run
    if report.rejected or report.error:
        with tempfile.TemporaryFile("w+b") as tmp:
            text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
            write_rejections(report, text)
            text.flush()
            tmp.seek(0)
            run.rejects.save("rejets.csv", File(tmp), save=False)
            text.detach()
    mine.update(rejects=run.rejects.name or "", error=report.error[:500], finished_at=timezone.now(),
                status=ImportRun.Status.FAILED if report.error and not report.rows else ImportRun.Status.DONE)
    return ImportRun.objects.get(pk=run_id)
