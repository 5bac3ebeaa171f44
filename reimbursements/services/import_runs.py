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

The file is imported by `IMPORT_PARTS` tasks side by side (`import_run_part_job`), each
the sheets of its own insured people (`importing.part_of`, by NIR): a batch locks only
its own people, so two parts never wait for each other but at the run's row for an
instant. Each part reads the whole file and skips the others' rows (reading is a small
share of an import); each adds its batches to the run's counters; the last to finish
writes the run's report of rejections, the parts' own merged in file order.
"""

from __future__ import annotations

import csv
import heapq
import io
import logging
import tempfile
from collections.abc import Iterator

from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.jobs import job
from ameli_portal.outbox import enqueue

from ..models import ImportRun, ImportRunPart, import_parts
from .importing import ImportHooks, ImportReport, ImportSuperseded, import_care_sheets, write_rejections

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A part of a large file runs for minutes (1,000,000 lines: about 4 at 4,400 lines/s in
# one process): the worker's default limits (CELERY_TASK_*TIME_LIMIT, 2 to 3 min) would
# kill it. Its outbox job is done at once (the import runs after its transaction), so the
# outbox's lease does not apply.
PART_SOFT_TIME_LIMIT = 6 * 3600


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
    run = ImportRun(
        file_name=upload.name[:200],
        file_size=upload.size,
        post=post,
        launched_by=actor,
        lines_total=count_lines(upload),
    )
    run.file.save("fichier.csv", upload, save=False)
    run.save()
    audit(
        actor=actor,
        action="import",
        obj=run,
        summary=f"{run.file_name[:100]} : {run.lines_total} ligne(s), "
        f"{'avec' if post else 'sans'} liquidation",
    )
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
        audit(
            actor=actor,
            action="import_resume",
            obj=locked,
            summary=f"{locked.file_name[:100]} : relance n° {locked.resumed} "
            f"({locked.lines_read} ligne(s) lues avant l'arrêt)",
        )
        enqueue(import_run_job, locked.pk)
    return True


@job("reimbursements.import_run")
def import_run_job(run_id: int) -> None:
    """Claim the run (pending -> running), then have its parts imported, one task each."""
    run = ImportRun.objects.select_for_update().filter(pk=run_id, status=ImportRun.Status.PENDING).first()
    if run is None:
        return
    run.status, run.started_at = ImportRun.Status.RUNNING, timezone.now()
    run.heartbeat_at = run.started_at
    # A relaunch reads the whole file again: its parts count every line again from zero.
    run.lines_read = run.lines_imported = run.lines_rejected = run.sheets_imported = 0
    run.save(
        update_fields=[
            "status",
            "started_at",
            "heartbeat_at",
            "lines_read",
            "lines_imported",
            "lines_rejected",
            "sheets_imported",
        ]
    )
    attempt, parts = run.resumed, import_parts()  # the relaunch this job was sent for
    for index in range(parts):
        ImportRunPart.objects.create(run=run, attempt=attempt, index=index, of=parts)
        enqueue(import_run_part_job, run_id, attempt, index)


@job(
    "reimbursements.import_run_part",
    soft_time_limit=PART_SOFT_TIME_LIMIT,
    time_limit=PART_SOFT_TIME_LIMIT + 600,
)
def import_run_part_job(run_id: int, attempt: int, index: int) -> None:
    # After the job's own transaction (jobs.run_once): the import commits batch by batch.
    transaction.on_commit(lambda: import_run_execute(run_id=run_id, attempt=attempt, index=index))


def _guard(run_id: int, attempt: int) -> None:
    """In each batch's transaction: go on only if no later relaunch took the run over.

    FOR KEY SHARE: the parts' batches do not wait for one another, nor for the counters'
    updates; a relaunch (FOR UPDATE) waits for the batches in progress.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM reimbursements_importrun WHERE id = %s AND resumed = %s FOR KEY SHARE",
            [run_id, attempt],
        )
        if cursor.fetchone() is None:
            raise ImportSuperseded


class _RunHooks(ImportHooks):
    """An execution of a run: each batch goes on only if no later relaunch took the run over
    (`_guard`), and the run's counters follow each batch (by differences: the parts of a run
    add up in one row)."""

    def __init__(self, *, run_id: int, attempt: int):
        self.run_id, self.attempt = run_id, attempt
        self.counted = {"rows": 0, "imported": 0, "rejected": 0, "sheets": 0}

    def guard(self) -> None:
        _guard(self.run_id, self.attempt)

    def batch_done(self, report: ImportReport) -> None:
        now = {
            "rows": report.rows,
            "imported": report.rows_imported,
            "rejected": report.rows_rejected,
            "sheets": report.sheets_imported,
        }
        delta = {k: now[k] - self.counted[k] for k in now}
        self.counted.update(now)
        ImportRun.objects.filter(pk=self.run_id, resumed=self.attempt).update(
            lines_read=F("lines_read") + delta["rows"],
            lines_imported=F("lines_imported") + delta["imported"],
            lines_rejected=F("lines_rejected") + delta["rejected"],
            sheets_imported=F("sheets_imported") + delta["sheets"],
            import_batch=report.tag,
            heartbeat_at=timezone.now(),
        )


def import_run_execute(*, run_id: int, attempt: int | None = None, index: int | None = None) -> ImportRun:
    """Import the run's file (or its part ``index``), batch by batch; the run's counters
    follow each batch.

    ``attempt``: the relaunch number this execution was started for (the run's current one
    by default). Each batch locks the run and goes on only if no later relaunch took it
    over: a worker thought dead but only slow stops at its next batch instead of importing
    alongside the relaunch, and a relaunch waits for the batch in progress. Without
    ``index`` (a part of its own), the whole file in this process.
    """
    run = ImportRun.objects.select_related("launched_by").get(pk=run_id)
    attempt = run.resumed if attempt is None else attempt
    mine = ImportRun.objects.filter(pk=run_id, resumed=attempt)
    if index is None:
        part, _ = ImportRunPart.objects.get_or_create(run=run, attempt=attempt, index=0, defaults={"of": 1})
    else:
        part = ImportRunPart.objects.get(run=run, attempt=attempt, index=index)
    hooks = _RunHooks(run_id=run_id, attempt=attempt)
    try:
        with run.file.open("rb") as raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            # A relaunch keeps the run's tag: what the run imported before is known by it.
            report = import_care_sheets(
                stream,
                actor=run.launched_by,
                post=run.post,
                batch_size=BATCH_SIZE,
                hooks=hooks,
                tag=run.import_batch or _tag(run_id),
                attempt=attempt,
                part=(part.index, part.of) if part.of > 1 else None,
            )
    except ImportSuperseded:
        logger.warning("import run %s: attempt %s stopped, a relaunch has taken over", run_id, attempt)
        return ImportRun.objects.get(pk=run_id)
    except Exception as exc:  # noqa: BLE001 - the run must say it failed, whatever the fault
        logger.exception("import run %s failed", run_id)
        mine.update(
            status=ImportRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"Erreur inattendue ({type(exc).__name__}) : l'import s'est arrêté ; "
            "les lots déjà terminés restent importés.",
        )
        return ImportRun.objects.get(pk=run_id)
    hooks.batch_done(report)
    if report.rejected:
        with tempfile.TemporaryFile("w+b") as tmp:
            text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
            write_rejections(report, text)
            text.flush()
            text.detach()
            tmp.seek(0)
            part.rejects.save(f"rejets-p{part.index}.csv", File(tmp), save=False)
    part.done, part.error = True, report.error[:500]
    part.save(update_fields=["done", "error", "rejects"])
    _finish(run_id=run_id, attempt=attempt)
    return ImportRun.objects.get(pk=run_id)


def _tag(run_id: int) -> str:
    """The run's import tag, chosen once for all its parts (the first to ask sets it)."""
    import uuid

    ImportRun.objects.filter(pk=run_id, import_batch="").update(import_batch=uuid.uuid4().hex[:12])
    return ImportRun.objects.values_list("import_batch", flat=True).get(pk=run_id)


def _finish(*, run_id: int, attempt: int) -> None:
    """When every part of this attempt is done: the run's report and its final state."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: the parts finishing one after the other, never two at once.
        run = ImportRun.objects.select_for_update(no_key=True).filter(pk=run_id, resumed=attempt).first()
        parts = list(ImportRunPart.objects.filter(run_id=run_id, attempt=attempt).order_by("index"))
        if run is None or run.status != ImportRun.Status.RUNNING or not all(p.done for p in parts):
            return
        error = next((p.error for p in parts if p.error), "")
        with tempfile.TemporaryFile("w+b") as tmp:
            if any(p.rejects for p in parts) or error:
                text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
                _merge_rejections([p.rejects for p in parts if p.rejects], error, text)
                text.flush()
                text.detach()
                tmp.seek(0)
                run.rejects.save("rejets.csv", File(tmp), save=False)
        run.error, run.finished_at = error, timezone.now()
        run.status = ImportRun.Status.FAILED if error and not run.lines_read else ImportRun.Status.DONE
        run.save(update_fields=["rejects", "error", "finished_at", "status"])
        for p in parts:
            if p.rejects:
                p.rejects.delete(save=False)
        ImportRunPart.objects.filter(run_id=run_id, attempt=attempt).delete()


def _line_number(row: list[str]) -> int:
    return int(row[0])


def _merge_rejections(files, error: str, out) -> None:
    """The parts' rejected rows in file order, as `write_rejections` writes one report."""
    opened = [io.TextIOWrapper(f.open("rb"), encoding="utf-8", newline="") for f in files]
    try:
        readers = [csv.reader(f, delimiter=";") for f in opened]
        rows: list[Iterator[list[str]]] = [
            (r for r in reader if r and r[0]) for reader in readers if next(reader, None)
        ]
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["ligne", "sheet_ref", "motif"])
        merged: Iterator[list[str]] = heapq.merge(*rows, key=_line_number)
        writer.writerows(merged)
        if error:
            writer.writerow(["", "", error])
    finally:
        for f in opened:
            f.close()
