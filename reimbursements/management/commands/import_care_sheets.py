"""Import a CSV file of care sheets (docs/care-sheets-csv.md), with a progress bar on stderr."""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reimbursements.services.importing import ImportHooks, ImportReport, import_care_sheets, write_rejections

REFRESH = 0.25  # seconds between two redraws of the progress bar


def count_lines(path: Path) -> int:
    """A fast binary pass: the number of data lines (a quoted field spanning lines counts twice)."""
    lines, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


class ProgressBar:
    def __init__(self, total: int, out, width: int = 30):
        self.total, self.out, self.width = total, out, width
        self.shown_at = 0.0

    def __call__(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown_at < REFRESH:
            return
        self.shown_at = now
        done = min(done, self.total)
        share = done / self.total if self.total else 1.0
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r[{bar}] {done}/{self.total} lignes ({share:.0%})")
        self.out.flush()


class _Progress(ImportHooks):
    """The progress bar moves after each batch."""

    def __init__(self, bar: ProgressBar):
        self.bar = bar

    def batch_done(self, report: ImportReport) -> None:
        self.bar(report.rows)


class Command(BaseCommand):
    help = "Importe des feuilles de soins depuis un fichier CSV (voir docs/care-sheets-csv.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--no-post", action="store_true", help="Créer les feuilles à l'état « Saisie » sans les liquider."
        )
        # As the upload job: larger batches run faster (bench/README.md), one still in memory.
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--report", type=Path, help="Fichier CSV des lignes rejetées (par défaut : FICHIER.rejets.csv)."
        )
        parser.add_argument("--actor", help="Identifiant de l'agent à qui attribuer les liquidations.")

    def handle(
        self,
        *args,
        file: Path,
        no_post: bool,
        batch_size: int,
        report: Path | None,
        actor: str | None,
        **options,
    ):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        if batch_size < 1:
            raise CommandError("--batch-size doit être au moins 1.")
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor, is_staff=True).first()
            if user is None:
                raise CommandError(f"Agent inconnu : {actor}")
        err = getattr(self.stderr, "_out", sys.stderr)
        bar = ProgressBar(count_lines(file), err)
        bar(0, force=True)
        with file.open(encoding="utf-8-sig", newline="") as stream:
            result = import_care_sheets(
                stream, actor=user, batch_size=batch_size, post=not no_post, hooks=_Progress(bar)
            )
        bar(result.rows if result.error else bar.total, force=True)
        err.write("\n")
        report_path = report or file.with_name(file.name + ".rejets.csv")
        with report_path.open("w", encoding="utf-8", newline="") as out:
            write_rejections(result, out)
        if result.error:
            self.stderr.write(result.error)
        self.stdout.write(
            f"{result.rows} ligne(s) lue(s), {result.sheets_imported} feuille(s) importée(s) "
            f"({result.sheets_posted} liquidée(s)), {result.rows_rejected} ligne(s) rejetée(s), "
            f"{result.failed_batches} lot(s) annulé(s). Rejets : {report_path}"
        )
        if result.error:
            raise CommandError("Import interrompu.")
