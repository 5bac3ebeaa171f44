"""The CSV of « Mes paiements » is streamed: written row by row as the rows are read from the
database a chunk at a time, so that its memory stays flat whatever the history."""

import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from reimbursements import queries
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.factories import CareActFactory, CareSheetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(date(2026, 3, 20)):
        yield


def history(insured, lines: int) -> None:
    sheet = CareSheetFactory(insured=insured, received_on=date(2026, 3, 1))
    for n in range(lines):
        CareActFactory(
            sheet=sheet,
            care_date=date(2025, 4, 1) + timedelta(days=n % 300),
            label=f"Acte {n}",
            charged=Decimal("30.00"),
        )
    care_sheet_post(sheet=sheet, actor=None)
    payments_run(day=date(2026, 3, 2))


def export_peak(client) -> tuple[int, int, int]:
    """(pieces the response was sent in, rows, peak memory while it was read) of the full export."""
    response = client.get(reverse("reimbursements:payments_csv"), {"period": "27"})
    assert response.status_code == 200 and response.streaming
    tracemalloc.start()
    pieces = rows = 0
    try:
        for piece in response.streaming_content:
            pieces += 1
            rows += piece.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return pieces, rows, peak


def test_the_export_is_sent_row_by_row_and_its_memory_does_not_grow(client, insured, monkeypatch):
    monkeypatch.setattr(queries, "EXPORT_CHUNK", 25)
    client.force_login(insured.user)
    history(insured, 40)
    small_pieces, small_rows, small_peak = export_peak(client)
    assert small_pieces == small_rows == 41  # the header, then each act as soon as it is read
    history(insured, 200)
    large_pieces, large_rows, large_peak = export_peak(client)
    assert large_pieces == large_rows == 241
    print(
        f"mémoire de pointe de l'export : {small_peak / 1024:.0f} Kio pour 40 lignes, "
        f"{large_peak / 1024:.0f} Kio pour 240"
    )
    # Six times the rows, read 25 at a time: the peak is that of a chunk, not of the file
    # (built in memory, 240 lines with their acts, sheets and professionals weigh ~6 times 40).
    assert large_peak < 2 * small_peak
