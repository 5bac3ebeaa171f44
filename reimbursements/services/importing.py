"""Import care sheets from a CSV file (format: docs/care-sheets-csv.md).

The file is read row by row and handled in batches: memory holds one batch,
never the file. Each batch is written in one transaction, so a database error
leaves nothing of that batch behind. Within a batch, a sheet with any bad row
is refused whole: no half sheet is ever written.
"""

from __future__ import annotations

import csv
import functools
import re
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError, transaction

from accounts.models import Beneficiary, Insured
from accounts.nir import NirError, parse_nir

from ..models import Basket, CareAct, CareKind, CareSheet, Professional
from ..rules import MEDICINE_RATES
from .posting_batch import SheetToPost, care_sheets_post_batch

DELIMITER = ";"
# Columns every file must carry; the others may be left out.
REQUIRED_COLUMNS = ("sheet_ref", "nir", "rpps", "received_on", "act_code", "care_date", "kind", "charged")
OPTIONAL_COLUMNS = (
    "beneficiary_birth_date",
    "label",
    "end_date",
    "quantity",
    "coefficient",
    "base",
    "medicine_rate",
    "tiers_payant",
    "coordinated_path",
    "ald_related",
    "psychiatric",
    "basket",
    "emergency_transport",
    "costly_act",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# What must be the same on every row of a sheet.
SHEET_COLUMNS = (
    "nir",
    "beneficiary_birth_date",
    "rpps",
    "received_on",
    "tiers_payant",
    "coordinated_path",
    "ald_related",
)
MAX_SHEET_ROWS = 500  # bounds a batch's memory even when one sheet_ref never ends
MAX_MONEY = Decimal("10") ** 10  # DecimalField(max_digits=12, decimal_places=2)
TRUE = {"1", "oui", "o", "true", "vrai", "x", "yes", "y"}
FALSE = {"0", "non", "n", "false", "faux", "no"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
KINDS = {k.value: k.value for k in CareKind} | {k.label.lower(): k.value for k in CareKind}
RPPS = re.compile(r"^[0-9]{9,11}$")
SPACES = re.compile(r"[\s\u00a0\u202f]")
BASKETS = (
    {b.value: b.value for b in Basket}
    | {SPACES.sub("", b.label.lower()): b.value for b in Basket}
    | {"100%santé": Basket.RAC_ZERO.value, "raczero": Basket.RAC_ZERO.value}
)


@dataclass(frozen=True)
class RejectedRow:
    line: int
    sheet_ref: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    sheets_imported: int = 0
    sheets_posted: int = 0
    batches: int = 0
    failed_batches: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    error: str = ""  # the file could not be read to the end (or at all)
    tag: str = ""  # prefix of CareSheet.import_batch for this import
    attempt: int = 0  # 0, or the relaunch's number when the same import is run again
    part: str = ""  # "p<k>-" when this report is one part of a file split by insured

    @property
    def batch_prefix(self) -> str:
        """What this attempt's batches are labelled with: `<tag>-<n>`, or `<tag>-r<k>-<n>` for
        the k-th relaunch, so that a relaunch tells its own sheets from the earlier attempts'."""
        return f"{self.tag}-r{self.attempt}-" if self.attempt else f"{self.tag}-"

    @property
    def batch_label(self) -> str:
        """The current batch's label: the attempt's prefix, the part, the batch's number."""
        return f"{self.batch_prefix}{self.part}{self.batches}"

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_imported(self) -> int:
        return self.rows - self.rows_rejected


class RowError(ValueError):
    """A French reason for refusing a row."""


class ImportSuperseded(Exception):
    """Raised by an import's `ImportHooks.guard`: another attempt has taken the import over."""


class ImportHooks:
    """What the caller of an import is asked and told as the batches go, in one object:
    subclass it (each method does nothing here)."""

    def guard(self) -> None:
        """Runs inside each batch's transaction, before it writes: raising `ImportSuperseded`
        stops the import there (the batch writes nothing)."""

    def batch_done(self, report: ImportReport) -> None:
        """After each batch, written or not: `report` counts it (`report.rows`: rows read)."""


NO_HOOKS = ImportHooks()


def check_header(header: list[str]) -> str:
    """An empty string when the header is usable, else what is wrong, in French."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    doubles = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"colonnes manquantes : {', '.join(missing)}")
    if unknown:
        problems.append(f"colonnes inconnues : {', '.join(unknown)}")
    if doubles:
        problems.append(f"colonnes en double : {', '.join(doubles)}")
    if problems:
        return "En-tête invalide (séparateur « ; » attendu) : " + " ; ".join(problems) + "."
    return ""


# --- Parsing one row --------------------------------------------------------------


def _date(value: str, label: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise RowError(f"{label} manquante")
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value.isascii():
        try:  # AAAA-MM-JJ, the usual case: fromisoformat is ten times faster than strptime
            return date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowError(f"{label} invalide « {value[:20]} » (AAAA-MM-JJ ou JJ/MM/AAAA attendu)")


def _decimal(value: str, label: str) -> Decimal:
    compact = SPACES.sub("", value).removesuffix("€")
    if "," in compact and "." in compact:
        raise RowError(f"{label} invalide « {value[:20]} »")
    try:
        number = Decimal(compact.replace(",", "."))
    except InvalidOperation:
        raise RowError(f"{label} invalide « {value[:20]} »") from None
    if not number.is_finite():
        raise RowError(f"{label} invalide « {value[:20]} »")
    return number


def _amount(value: str, label: str, *, required: bool = True) -> Decimal | None:
    if not value:
        if required:
            raise RowError(f"{label} manquant")
        return None
    number = _decimal(value, label)
    if number < 0:
        raise RowError(f"{label} négatif « {value[:20]} »")
    if number != number.quantize(Decimal("0.01")) or number >= MAX_MONEY:
        raise RowError(f"{label} invalide « {value[:20]} » (au centime, moins de 10 milliards)")
    return number.quantize(Decimal("0.01"))


def _basket(value: str) -> str:
    if not value:
        return ""
    basket = BASKETS.get(SPACES.sub("", value.lower()))
    if basket is None:
        raise RowError(f"panier invalide « {value[:20]} » (100_sante, moderate ou free attendu)")
    return basket


def _bool(value: str, label: str, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise RowError(f"{label} invalide « {value[:20]} » (oui ou non attendu)")


def _quantity(value: str) -> int:
    if not value:
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 2_147_483_647:
        raise RowError(f"quantité invalide « {value[:20]} » (entier au moins égal à 1)")
    return int(value)


def _coefficient(value: str) -> Decimal | None:
    if not value:
        return None
    number = _decimal(value, "coefficient")
    if number <= 0 or number >= 10_000 or number != number.quantize(Decimal("0.01")):
        raise RowError(f"coefficient invalide « {value[:20]} »")
    return number.quantize(Decimal("0.01"))


def _medicine_rate(value: str) -> Decimal | None:
    if not value:
        return None
    number = _decimal(value.removesuffix("%"), "taux du médicament")
    if number > 1:
        number = number / 100
    if number not in MEDICINE_RATES:
        raise RowError(f"taux du médicament invalide « {value[:20]} » (100, 65, 30 ou 15 %)")
    return number.quantize(Decimal("0.01"))


@functools.lru_cache(maxsize=65_536)  # a file names the same people again and again
def _nir(value: str) -> tuple[str, str]:
    """(the 13-character NIR, "") or ("", what is wrong with it)."""
    try:
        return parse_nir(value).number, ""
    except NirError as e:
        return "", e.message


@dataclass
class Row:
    line: int
    sheet_ref: str
    error: str = ""
    nir: str = ""
    rpps: str = ""
    beneficiary_birth_date: date | None = None
    sheet: dict = field(default_factory=dict)  # CareSheet fields
    act: dict = field(default_factory=dict)  # CareAct fields
    raw_sheet: tuple = ()  # the sheet columns as written, to compare rows of one sheet


def parse_row(line: int, values: dict[str, str]) -> Row:
    """Check the format of one row; lookups in the register come later, per batch."""
    row = Row(line=line, sheet_ref=values.get("sheet_ref", "")[:40])
    row.raw_sheet = tuple(values.get(c, "") for c in SHEET_COLUMNS)
    try:
        if not row.sheet_ref:
            raise RowError("référence de feuille (sheet_ref) manquante")
        row.nir, problem = _nir(values["nir"])
        if problem:
            raise RowError(f"NIR invalide : {problem}")
        row.rpps = values["rpps"]
        if not RPPS.match(row.rpps):
            raise RowError(f"RPPS invalide « {row.rpps[:20]} » (9 à 11 chiffres)")
        row.beneficiary_birth_date = _date(
            values.get("beneficiary_birth_date", ""), "date de naissance de l'ayant droit", required=False
        )
        row.sheet = {
            "received_on": _date(values["received_on"], "date de réception"),
            "tiers_payant": _bool(values.get("tiers_payant", ""), "tiers payant", False),
            "coordinated_path": _bool(values.get("coordinated_path", ""), "parcours de soins", True),
            "ald_related": _bool(values.get("ald_related", ""), "ALD", False),
        }
        act_code, label = values["act_code"], values.get("label", "")
        if not act_code or len(act_code) > 12:
            raise RowError(f"code acte invalide « {act_code[:20]} » (1 à 12 caractères)")
        if len(label) > 120:
            raise RowError("libellé trop long (120 caractères au plus)")
        kind = KINDS.get(values["kind"].lower())
        if kind is None:
            raise RowError(
                f"nature d'acte inconnue « {values['kind'][:20]} » ({', '.join(k.value for k in CareKind)})"
            )
        care_date = _date(values["care_date"], "date des soins")
        end_date = _date(values.get("end_date", ""), "date de sortie", required=False)
        if end_date and care_date and end_date < care_date:
            raise RowError("date de sortie antérieure à la date des soins")
        row.act = {
            "act_code": act_code,
            "label": label,
            "care_date": care_date,
            "end_date": end_date,
            "kind": kind,
            "charged": _amount(values["charged"], "montant facturé"),
            "quantity": _quantity(values.get("quantity", "")),
            "coefficient": _coefficient(values.get("coefficient", "")),
            "base": _amount(values.get("base", ""), "base unitaire", required=False),
            "medicine_rate": _medicine_rate(values.get("medicine_rate", "")),
            "psychiatric": _bool(values.get("psychiatric", ""), "psychiatrie", False),
            "basket": _basket(values.get("basket", "")),
            "emergency_transport": _bool(values.get("emergency_transport", ""), "transport d'urgence", False),
            "costly_act": _bool(values.get("costly_act", ""), "acte coûteux", False),
        }
    except RowError as e:
        row.error = str(e)
    return row


# --- One batch ----------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: a batch holds thousands
class _Group:
    """The rows of one sheet_ref within a batch."""

    ref: str
    rows: list[Row] = field(default_factory=list)
    reason: str = ""  # set when every row of the sheet is refused for one reason
    done_before: bool = False  # imported by an earlier attempt of the same import (a relaunch)

    def rejections(self) -> list[RejectedRow]:
        bad = [r for r in self.rows if r.error]
        if not bad and not self.reason:
            return []
        first = bad[0].line if bad else None
        out = []
        for r in self.rows:
            if r.error:
                reason = r.error
            elif self.reason:
                reason = self.reason
            else:
                reason = f"feuille refusée : la ligne {first} est en erreur"
            out.append(RejectedRow(r.line, self.ref, reason))
        return out


def _group(rows: list[Row]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    previous = None
    for row in rows:
        group = groups.get(row.sheet_ref)
        if group is None:
            group = groups[row.sheet_ref] = _Group(row.sheet_ref)
        elif previous is not group:
            group.reason = "feuille refusée : ses lignes ne se suivent pas dans le fichier"
        if group.rows and not row.error and row.raw_sheet != group.rows[0].raw_sheet:
            differ = [
                c
                for c, a, b in zip(SHEET_COLUMNS, row.raw_sheet, group.rows[0].raw_sheet, strict=True)
                if a != b
            ]
            row.error = f"en-tête de feuille différent de sa première ligne ({', '.join(differ)})"
        group.rows.append(row)
        previous = group
    return list(groups.values())


def _skip_known(groups: list[_Group], report: ImportReport) -> None:
    """A sheet already imported (a file sent again, a reference used twice) is skipped, never
    imported twice.

    On a relaunch of an interrupted import, a sheet that an earlier attempt of that same
    import wrote, with the same acts, counts as imported, not as refused. A reference used
    twice in the file is still refused the second time: its acts are not the ones written.
    """
    # exclude(""): says the partial unique index's condition, which PostgreSQL cannot prove from
    # an IN list of more than 100 values; without it, each batch read every sheet ever imported.
    known = dict(
        CareSheet.objects.filter(external_ref__in=[g.ref for g in groups if g.ref])
        .exclude(external_ref="")
        .values_list("external_ref", "import_batch")
    )
    earlier: dict[str, list] = {}
    if report.attempt:
        earlier = {
            ref: []
            for ref, batch in known.items()
            if batch.startswith(f"{report.tag}-") and not batch.startswith(report.batch_prefix)
        }
        acts = CareAct.objects.filter(sheet__external_ref__in=list(earlier)).values_list(
            "sheet__external_ref", "act_code", "care_date", "charged", "quantity"
        )
        for ref, *act in acts:
            earlier[ref].append(tuple(act))
    for g in groups:
        if g.ref not in known or g.reason:
            continue
        if (
            g.ref in earlier
            and not any(r.error for r in g.rows)
            and sorted(earlier[g.ref])
            == sorted(
                (r.act["act_code"], r.act["care_date"], r.act["charged"], r.act["quantity"]) for r in g.rows
            )
        ):
            g.done_before = True
        else:
            g.reason = (
                f"feuille déjà importée (référence « {g.ref} ») : ignorée, "
                "elle n'est pas importée une seconde fois"
            )


def _resolve(groups: list[_Group]) -> None:
    """Find each sheet's insured, beneficiary and professional: one query per kind per batch."""
    rows = [r for g in groups for r in g.rows if not r.error]
    insured = dict(Insured.objects.filter(nir__in={r.nir for r in rows}).values_list("nir", "id"))
    pros = dict(Professional.objects.filter(rpps__in={r.rpps for r in rows}).values_list("rpps", "id"))
    beneficiaries: dict[tuple[int, date], list[int]] = {}
    wanted = {insured[r.nir] for r in rows if r.beneficiary_birth_date and r.nir in insured}
    if wanted:
        for insured_id, birth_date, pk in Beneficiary.objects.filter(insured_id__in=wanted).values_list(
            "insured_id", "birth_date", "id"
        ):
            beneficiaries.setdefault((insured_id, birth_date), []).append(pk)
    for row in rows:
        if row.nir not in insured:
            row.error = "NIR inconnu : aucun assuré avec ce numéro"
            continue
        if row.rpps not in pros:
            row.error = f"RPPS inconnu « {row.rpps} » : le professionnel doit exister"
            continue
        row.sheet |= {
            "insured_id": insured[row.nir],
            "professional_id": pros[row.rpps],
            "beneficiary_id": None,
        }
        if row.beneficiary_birth_date:
            found = beneficiaries.get((insured[row.nir], row.beneficiary_birth_date), [])
            born = f"{row.beneficiary_birth_date:%d/%m/%Y}"
            if not found:
                row.error = f"aucun ayant droit de cet assuré né le {born}"
            elif len(found) > 1:
                row.error = f"plusieurs ayants droit de cet assuré sont nés le {born}"
            else:
                row.sheet["beneficiary_id"] = found[0]


def _write(groups: list[_Group], *, tag: str, actor, post: bool) -> tuple[int, int, list[RejectedRow]]:
    """Create the sheets and acts, posted or not. Returns (sheets written, posted, rejections).

    Posting goes through the set-based path (posting.py): a fixed number of queries per
    batch, the same figures as posting each sheet with care_sheet_post.
    """
    if not post:
        sheets = CareSheet.objects.bulk_create(
            [CareSheet(import_batch=tag, external_ref=g.ref, **g.rows[0].sheet) for g in groups]
        )
        CareAct.objects.bulk_create(
            [
                CareAct(sheet=sheet, **row.act)
                for sheet, g in zip(sheets, groups, strict=True)
                for row in g.rows
            ]
        )
        return len(sheets), 0, []
    batch = [
        SheetToPost(sheet=g.rows[0].sheet, acts=[r.act for r in g.rows], external_ref=g.ref) for g in groups
    ]
    posted = care_sheets_post_batch(sheets=batch, actor=actor, import_batch=tag)
    rejections = []
    for group, sheet in zip(groups, batch, strict=True):
        if sheet.error is not None:
            # The engine numbers the acts in its input order (care date, then file order).
            e = sheet.error
            culprit = group.rows[sheet.order[e.index]] if e.index is not None else group.rows[0]
            culprit.error = str(e)
            rejections += group.rejections()
    return posted, posted, rejections


def _run_batch(rows: list[Row], report: ImportReport, *, actor, post: bool, hooks: ImportHooks) -> None:
    report.batches += 1
    groups = _group(rows)
    _skip_known(groups, report)
    done_before = [g for g in groups if g.done_before]
    report.sheets_imported += len(done_before)
    report.sheets_posted += len(done_before) if post else 0
    groups = [g for g in groups if not g.done_before]
    _resolve(groups)
    valid = [g for g in groups if not g.reason and not any(r.error for r in g.rows)]
    rejected = [rej for g in groups for rej in g.rejections()]  # none for a valid group
    try:
        with transaction.atomic():
            hooks.guard()  # in the batch's transaction: may lock what tells whether to go on
            written, posted, refused = _write(valid, tag=report.batch_label, actor=actor, post=post)
    except DatabaseError as e:
        report.failed_batches += 1
        reason = (
            f"lot annulé (lignes {rows[0].line} à {rows[-1].line}) : erreur de la base de données "
            f"({str(e).splitlines()[0][:150]})"
        )
        rejected += [RejectedRow(r.line, g.ref, reason) for g in valid for r in g.rows]
    else:
        report.sheets_imported += written
        report.sheets_posted += posted
        rejected += refused
    report.rejected += sorted(rejected, key=lambda r: r.line)
    hooks.batch_done(report)


# --- The file -------------------------------------------------------------------------


def part_of(nir: str, parts: int) -> int:
    """Which of `parts` parts a sheet goes to, from its NIR as written: the same person always
    lands in the same part (whatever the spacing of the NIR), so two parts never wait for each
    other's locks on an insured person."""
    number, _ = _nir(nir)
    return zlib.crc32((number or nir).encode()) % parts


def import_care_sheets(
    stream: Iterable[str],
    *,
    actor,
    batch_size: int = 500,
    post: bool = True,
    hooks: ImportHooks = NO_HOOKS,
    tag: str | None = None,
    attempt: int = 0,
    part: tuple[int, int] | None = None,
) -> ImportReport:
    """Import a CSV text stream; ``hooks`` (`ImportHooks`) is asked before each batch writes
    (`guard`) and told when it is done (`batch_done`).

    A batch closes at the first sheet_ref change after `batch_size` rows, so a
    sheet is never split between two transactions. ``tag`` and ``attempt``: to import
    the same file again after an interruption, the interrupted attempt's
    `ImportReport.tag` and this relaunch's number (1, 2...): the sheets the earlier
    attempts wrote are counted, neither imported twice nor refused. By default a new tag.
    ``part=(k, n)``: import only the sheets of part k of n (`part_of` their first row's NIR),
    the other rows read and skipped; line numbers stay the file's. The n parts of one file,
    run side by side, import the file once, each person's sheets in file order.
    """
    report = ImportReport(
        tag=tag or uuid.uuid4().hex[:12], attempt=attempt, part=f"p{part[0]}-" if part else ""
    )
    reader = csv.reader(stream, delimiter=DELIMITER)
    batch: list[Row] = []
    try:
        header = next(reader, None)
        if header is None:
            report.error = "Fichier vide."
            return report
        report.error = check_header(header)
        if report.error:
            return report
        names = [h.strip().lstrip("\ufeff") for h in header]
        sheet_rows = 0
        nir_at, ref_at = names.index("nir"), names.index("sheet_ref")
        routed_ref, routed_here = None, True
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if part is not None:
                # A sheet (consecutive rows of one sheet_ref) goes whole where its first row goes.
                ref = values[ref_at].strip() if len(values) > ref_at else ""
                if ref != routed_ref or not ref:
                    routed_ref = ref
                    nir = values[nir_at].strip() if len(values) > nir_at else ""
                    routed_here = part_of(nir, part[1]) == part[0]
                if not routed_here:
                    continue
            if len(values) != len(names):
                row = Row(
                    line=reader.line_num,
                    sheet_ref=values[0].strip()[:40] if values else "",
                    error=f"{len(values)} colonnes au lieu de {len(names)}",
                )
            else:
                row = parse_row(reader.line_num, {n: v.strip() for n, v in zip(names, values, strict=True)})
            same_sheet = bool(batch) and row.sheet_ref == batch[-1].sheet_ref
            if batch and len(batch) >= batch_size and not same_sheet:
                _run_batch(batch, report, actor=actor, post=post, hooks=hooks)
                batch = []
            report.rows += 1
            sheet_rows = sheet_rows + 1 if same_sheet else 1
            if sheet_rows > MAX_SHEET_ROWS:
                row.error = f"feuille de plus de {MAX_SHEET_ROWS} actes"
                if sheet_rows > MAX_SHEET_ROWS + 1:  # its sheet is already refused: keep memory flat
                    report.rejected.append(RejectedRow(row.line, row.sheet_ref, row.error))
                    continue
            batch.append(row)
        if batch:
            _run_batch(batch, report, actor=actor, post=post, hooks=hooks)
    except (UnicodeDecodeError, csv.Error) as e:
        report.error = (
            f"Lecture interrompue à la ligne {reader.line_num + 1} : fichier illisible "
            f"(UTF-8 et séparateur « ; » attendus) — {type(e).__name__}."
        )
        report.rejected += [
            RejectedRow(r.line, r.sheet_ref, "non importée : lecture interrompue") for r in batch
        ]
    return report


def write_rejections(report: ImportReport, out) -> None:
    """The rejected rows as CSV (same separator as the input)."""
    writer = csv.writer(out, delimiter=DELIMITER)
    writer.writerow(["ligne", "sheet_ref", "motif"])
    for r in report.rejected:
        writer.writerow([r.line, r.sheet_ref, r.reason])
    if report.error:
        writer.writerow(["", "", report.error])
