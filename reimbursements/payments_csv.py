"""The CSV of « Mes paiements »: one row an act, and a row of its own for every amount a payment
took back (deductions recovered, acts cancelled after their payment) or gave back (deductions
recovered for an act cancelled since), so that the column
« Remboursé » adds up, payment by payment, to the amount of the transfer (deductions.py).

Streamed: rows are read from the database a chunk at a time and written as they come, so the
export's memory does not grow with the person's history.
"""

import csv
import heapq
from collections.abc import Iterator
from datetime import date

from ameli_portal.formats import percent

from . import deductions as d
from . import queries
from .models import Settlement

HEADER = (
    "Date des soins",
    "Patient",
    "Professionnel de santé",
    "Code acte",
    "Libellé",
    "Type de soins",
    "Quantité",
    "Montant facturé",
    "Base de remboursement",
    "Taux",
    "Part Assurance Maladie",
    d.DUE_PF,
    d.DUE_FRANCHISE,
    d.WITHHELD,
    d.CARRIED,
    "Remboursé",
    "Ticket modérateur",
    "Dépassement d'honoraires",
    "Versé à",
    "Date de paiement",
    "État",
)
RECOVERY_LABEL = "Reprise de retenues reportées (participations forfaitaires et franchises d'autres soins)"
TAKEN_BACK_LABEL = "Acte annulé après son paiement : montant repris"
REFUND_LABEL = (
    "Retenues rendues : participations forfaitaires et franchises reprises pour un soin annulé depuis"
)


class _Echo:
    """csv.writer writes to this and gets the line back, to be yielded."""

    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _payee(line) -> str:
    return line.get_payee_display()


def _act_row(line) -> list[str]:
    act, payment, money = line.act, line.payment, line.money
    return [
        _day(line.care_date),
        _text(str(line.patient)),
        _text(act.sheet.professional.name),
        _text(act.act_code),
        _text(act.label),
        act.get_kind_display(),
        str(act.quantity),
        _amount(act.charged),
        _amount(line.base),
        percent(line.rate).replace("\u00a0", " "),
        _amount(money.amo),
        _amount(money.participation_due),
        _amount(money.franchise_due),
        _amount(money.withheld),
        _amount(money.carried_forward),
        _amount(money.for_line),
        _amount(line.ticket_moderateur),
        _amount(line.depassement),
        _payee(line),
        _day(payment.paid_on if payment else None),
        line.state_label,
    ]


def _money_row(line, *, label: str, amount, paid_on: date | None, state: str, payee: str = "") -> list[str]:
    """A row that is no act: only its patient, its label and the amount it takes off (paid to
    ``payee``, by default the line's)."""
    return [
        _day(line.care_date),
        _text(str(line.patient)),
        _text(line.act.sheet.professional.name),
        "",
        label,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        _amount(-amount),
        "",
        "",
        payee or _payee(line),
        _day(paid_on),
        state,
    ]


def _rows_of_line(line) -> Iterator[list[str]]:
    yield _act_row(line)
    if line.money.recovered and not line.reversed_before_payment:
        yield _money_row(
            line,
            label=RECOVERY_LABEL,
            amount=line.money.recovered,
            paid_on=line.payment.paid_on if line.payment else None,
            state="Payé" if line.payment else "En cours de paiement",
        )


def _rows_of_taken_back(reversal) -> Iterator[list[str]]:
    line = reversal.settlement
    yield _money_row(
        line,
        label=TAKEN_BACK_LABEL,
        amount=line.paid,
        paid_on=reversal.payment.paid_on,
        state=f"Repris (acte payé le {line.payment.paid_on:%d/%m/%Y})",
    )


def _rows_of_refund(refund) -> Iterator[list[str]]:
    paid_on = refund.payment.paid_on if refund.payment else None
    yield _money_row(
        refund.settlement,
        label=REFUND_LABEL,
        amount=-refund.amount,
        paid_on=paid_on,
        state="Payé" if paid_on else "En cours de paiement",
        payee=Settlement.Payee.INSURED.label,
    )  # given back to the insured, always


def _newest_payment_first(item) -> tuple:
    paid_on = item.payment.paid_on if item.payment else None
    return (0, 0) if paid_on is None else (1, -paid_on.toordinal())


def rows(insured, filters) -> Iterator[str]:
    """The file, line by line: BOM (for Excel), header, then the rows, newest payment first."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(HEADER)
    items = heapq.merge(
        queries.iter_export_lines(insured, filters),
        queries.taken_back(insured, filters),
        queries.refunds(insured, filters),
        key=_newest_payment_first,
    )
    for item in items:
        if hasattr(item, "act_id"):
            rows_of = _rows_of_line(item)
        elif hasattr(item, "reversal_id"):
            rows_of = _rows_of_refund(item)
        else:
            rows_of = _rows_of_taken_back(item)
        for row in rows_of:
            yield writer.writerow(row)
