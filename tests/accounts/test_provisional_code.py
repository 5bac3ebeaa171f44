"""Provisional codes: 8 digits, kept hashed, single use, expiring, limited attempts."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import is_password_usable
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import PostalLetter, ProvisionalCode
from accounts.services.codes import ProvisionalCodeResult as Result
from accounts.services.codes import (
    provisional_code_draw,
    provisional_code_issue,
    provisional_code_spend,
    provisional_code_verify,
)
from ameli_portal.models import AuditEvent, OutboxJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The real hasher (PBKDF2) is checked in the worker test; here speed matters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def issue_code(insured) -> str:
    """Issue a code and draw its digits as the letter job would; return them in clear."""
    letter = provisional_code_issue(insured=insured)
    return provisional_code_draw(provisional_code=letter.provisional_code)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def live_code(insured) -> ProvisionalCode:
    return ProvisionalCode.objects.get(insured=insured, used_at=None, voided_at=None)


def test_issue_prepares_a_letter_whose_job_carries_no_code(insured_without_account, staff):
    letter = provisional_code_issue(insured=insured_without_account, actor=staff)

    assert letter.kind == PostalLetter.Kind.PROVISIONAL_CODE
    assert letter.status == PostalLetter.Status.PREPARING
    assert letter.provisional_code.insured == insured_without_account
    job = OutboxJob.objects.get()
    assert job.task_name == "accounts.render_code_letter"
    assert job.args == [] and job.kwargs == {"letter_id": letter.pk}
    # No digits exist before the letter job draws them: nothing can verify yet.
    assert not is_password_usable(letter.provisional_code.code_hash)
    assert provisional_code_verify(insured=insured_without_account, code="12345678") is Result.NONE
    event = AuditEvent.objects.get(action="code_issued")
    assert event.actor == staff and event.object_id == str(insured_without_account.pk)


def test_a_code_is_8_digits_and_only_its_hash_is_kept(insured_without_account):
    code = issue_code(insured_without_account)

    assert re.fullmatch(r"[0-9]{8}", code)
    stored = live_code(insured_without_account)
    assert code not in stored.code_hash
    assert stored.code_hash.startswith("md5$")  # salted through make_password
    assert provisional_code_verify(insured=insured_without_account, code=code) is Result.OK


def test_separators_are_ignored(insured_without_account):
    code = issue_code(insured_without_account)
    typed = f" {code[:4]} - {code[4:]} "
    assert provisional_code_verify(insured=insured_without_account, code=typed) is Result.OK


def test_a_new_code_voids_the_old_one_and_its_unposted_letter(insured_without_account):
    first = issue_code(insured_without_account)
    first_letter = PostalLetter.objects.get()
    second_letter = provisional_code_issue(insured=insured_without_account)

    first_letter.refresh_from_db()
    assert first_letter.status == PostalLetter.Status.CANCELLED
    assert first_letter.get_status_display() == "Annulé"
    assert first_letter.provisional_code.voided_at is not None
    assert provisional_code_verify(insured=insured_without_account, code=first) is Result.NONE

    second = provisional_code_draw(provisional_code=second_letter.provisional_code)
    if second != first:  # one chance in 10^8
        assert provisional_code_verify(insured=insured_without_account, code=first) is Result.WRONG
    assert provisional_code_verify(insured=insured_without_account, code=second) is Result.OK


def test_a_code_expires_after_the_configured_validity(insured_without_account, settings):
    settings.PROVISIONAL_CODE_VALIDITY_DAYS = 2
    issued_at = timezone.now()
    with time_machine.travel(issued_at, tick=False):
        code = issue_code(insured_without_account)
    assert live_code(insured_without_account).expires_at == issued_at + timedelta(days=2)

    with time_machine.travel(issued_at + timedelta(days=2, minutes=-1)):
        assert provisional_code_verify(insured=insured_without_account, code=code) is Result.OK
    with time_machine.travel(issued_at + timedelta(days=2, minutes=1)):
        assert provisional_code_verify(insured=insured_without_account, code=code) is Result.EXPIRED
        assert provisional_code_verify(insured=insured_without_account, code=wrong(code)) is Result.EXPIRED
    assert live_code(insured_without_account).failed_attempts == 0


def test_five_wrong_tries_block_even_the_right_code(insured_without_account):
    code = issue_code(insured_without_account)

    results = [provisional_code_verify(insured=insured_without_account, code=wrong(code)) for _ in range(5)]

    assert results == [Result.WRONG] * 4 + [Result.BLOCKED]
    assert live_code(insured_without_account).failed_attempts == 5
    assert provisional_code_verify(insured=insured_without_account, code=code) is Result.BLOCKED
    # A new code starts afresh.
    fresh = issue_code(insured_without_account)
    assert provisional_code_verify(insured=insured_without_account, code=fresh) is Result.OK


def test_the_attempt_limit_is_a_setting(insured_without_account, settings):
    settings.PROVISIONAL_CODE_MAX_ATTEMPTS = 2
    code = issue_code(insured_without_account)
    assert provisional_code_verify(insured=insured_without_account, code=wrong(code)) is Result.WRONG
    assert provisional_code_verify(insured=insured_without_account, code=wrong(code)) is Result.BLOCKED


@pytest.mark.parametrize("typed", ["1234 567", "123456789", "", "abcdefgh", "１２３４５６７８"])
def test_a_malformed_code_is_a_format_error_that_does_not_count(insured_without_account, typed):
    issue_code(insured_without_account)
    for _ in range(6):
        assert provisional_code_verify(insured=insured_without_account, code=typed) is Result.FORMAT
    assert live_code(insured_without_account).failed_attempts == 0


def test_a_right_code_is_not_spent_by_verifying(insured_without_account):
    code = issue_code(insured_without_account)
    assert provisional_code_verify(insured=insured_without_account, code=code) is Result.OK
    assert provisional_code_verify(insured=insured_without_account, code=code) is Result.OK
    assert live_code(insured_without_account).used_at is None


def test_a_spent_code_no_longer_verifies(insured_without_account):
    code = issue_code(insured_without_account)
    provisional_code_spend(insured=insured_without_account)

    spent = ProvisionalCode.objects.get(insured=insured_without_account)
    assert spent.used_at is not None
    assert provisional_code_verify(insured=insured_without_account, code=code) is Result.NONE
    with pytest.raises(ProvisionalCode.DoesNotExist):
        provisional_code_spend(insured=insured_without_account)


def test_the_database_refuses_two_live_codes_for_one_insured(insured_without_account):
    issue_code(insured_without_account)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProvisionalCode.objects.create(
            insured=insured_without_account, code_hash="x", expires_at=timezone.now()
        )


def test_security_log_names_the_insured_by_id_only(insured_without_account, caplog):
    caplog.set_level(logging.INFO, logger="accounts.security")
    code = issue_code(insured_without_account)
    provisional_code_verify(insured=insured_without_account, code=wrong(code))

    messages = [r.getMessage() for r in caplog.records if r.name == "accounts.security"]
    assert f"provisional_code_issued insured={insured_without_account.pk} voided=0" in messages
    assert f"provisional_code_wrong insured={insured_without_account.pk} attempts=1" in messages
    logged = " ".join(messages)
    assert code not in logged and wrong(code) not in logged
    assert insured_without_account.nir not in logged
