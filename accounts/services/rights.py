"""The welcome letter: the provisional code is mailed when rights open.

« Le code provisoire est envoyé par courrier postal suite à l'ouverture de droits. »

Rights open when a new insured person gets a coverage period covering today, or when a
closed person's rights reopen (a period covering today created, or an ended one extended).
The paths that write coverage periods (the services below, the back office's insured page)
run inside :func:`rights_watch`, which compares "open today" before and after and enqueues
the welcome job on commit when the write opened the rights. The job issues the code letter
(``kind=WELCOME``) unless the person has an account, has no open rights any more, or already
holds a live code: running it twice, or saving twice, makes one letter.

The nightly :func:`welcome_letters_catch_up` is the safety net for people written to the
register by another way (a shell, a bulk load): open rights, no account, no live code, and
no code issued at all since their current rights began.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from ameli_portal.outbox import enqueue

from ..models import CoveragePeriod, Insured, PostalLetter, ProvisionalCode, User
from .codes import provisional_code_issue

logger = logging.getLogger(__name__)

# The welcome letter's job (accounts/tasks.py), enqueued by name: tasks import this module.
WELCOME_LETTER_JOB = "accounts.welcome_letter"


def _open_today() -> Q:
    today = timezone.localdate()
    return Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))


def _has_live_code(insured_id: int) -> bool:
    """A code not used, not voided and not expired: the person can still open an account."""
    return ProvisionalCode.objects.filter(
        insured_id=insured_id,
        used_at__isnull=True,
        voided_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def rights_opened_check(*, insured: Insured, was_open: bool, actor=None) -> bool:
    """Call after writing coverage periods: enqueue the welcome letter if rights just opened.

    ``was_open``: whether the person's rights were open today before the write. Returns
    whether a welcome job was enqueued (the job itself decides whether a letter is due).
    """
    if was_open or not insured.rights_open_on(timezone.localdate()):
        return False
    if User.objects.filter(insured_id=insured.pk).exists():
        return False
    enqueue(
        WELCOME_LETTER_JOB, insured_id=insured.pk, actor_id=actor.pk if getattr(actor, "pk", None) else None
    )
    return True


@contextmanager
def rights_watch(*, insured: Insured, actor=None) -> Iterator[None]:
    """Wrap a write of coverage periods: the welcome letter follows if it opened the rights."""
    was_open = insured.pk is not None and insured.rights_open_on(timezone.localdate())
    yield
    rights_opened_check(insured=insured, was_open=was_open, actor=actor)


def coverage_period_add(
    *, insured: Insured, regime: str, start: date, end: date | None = None, actor=None
) -> CoveragePeriod:
    """Open (or reopen) rights: a new coverage period; the welcome letter follows if due."""
    with transaction.atomic():
        Insured.objects.select_for_update().filter(pk=insured.pk).first()
        with rights_watch(insured=insured, actor=actor):
            period = CoveragePeriod.objects.create(insured=insured, regime=regime, start=start, end=end)
    return period


def coverage_period_extend(*, period: CoveragePeriod, end: date | None, actor=None) -> CoveragePeriod:
    """Move a period's end (``None``: open-ended); rights closed yesterday may reopen today."""
    with transaction.atomic():
        Insured.objects.select_for_update().filter(pk=period.insured_id).first()
        with rights_watch(insured=period.insured, actor=actor):
            CoveragePeriod.objects.filter(pk=period.pk).update(end=end)
            period.end = end
    return period


def welcome_letter_issue(*, insured_id: int, actor=None) -> PostalLetter | None:
    """Issue the welcome letter if it is still due; ``None`` when it is not (idempotent)."""
    with transaction.atomic():
        insured = Insured.objects.select_for_update().filter(pk=insured_id).first()
        if insured is None or User.objects.filter(insured_id=insured_id).exists():
            return None
        if not insured.rights_open_on(timezone.localdate()) or _has_live_code(insured_id):
            return None
        letter = provisional_code_issue(insured=insured, actor=actor, kind=PostalLetter.Kind.WELCOME)
    logger.info("welcome letter %s prepared for insured %s", letter.public_id, insured_id)
    return letter


def current_rights_start(periods: list[CoveragePeriod], today: date) -> date | None:
    """When the rights open today began: back through periods that follow each other
    without a gap (a renewal is not a new opening)."""
    start = None
    for period in sorted(periods, key=lambda p: p.start, reverse=True):
        if start is None:
            if period.start <= today and (period.end is None or period.end >= today):
                start = period.start
        elif period.end is None or period.end >= start - timedelta(days=1):
            start = min(start, period.start)
    return start


def welcome_letters_catch_up(*, batch: int = 500) -> int:
    """The nightly safety net: a welcome letter for each person missed; return how many."""
    today = timezone.localdate()
    candidates = (
        Insured.objects.filter(user__isnull=True)
        .filter(Exists(CoveragePeriod.objects.filter(_open_today(), insured=OuterRef("pk"))))
        .exclude(
            Exists(
                ProvisionalCode.objects.filter(
                    insured=OuterRef("pk"),
                    used_at__isnull=True,
                    voided_at__isnull=True,
                    expires_at__gt=timezone.now(),
                )
            )
        )
        .prefetch_related("coverage_periods")
        .order_by("pk")
    )
    issued = 0
    last_pk = 0
    while True:
        chunk = list(candidates.filter(pk__gt=last_pk)[:batch])
        if not chunk:
            return issued
        last_pk = chunk[-1].pk
        latest_code = dict(
            ProvisionalCode.objects.filter(insured__in=chunk)
            .order_by()
            .values("insured_id")
            .annotate(last=Max("created_at"))
            .values_list("insured_id", "last")
        )
        for insured in chunk:
            began = current_rights_start(list(insured.coverage_periods.all()), today)
            code_at = latest_code.get(insured.pk)
            if began is None or (code_at and timezone.localtime(code_at).date() >= began):
                continue  # a code went out for these rights (withdrawn or expired: staff's call)
            if welcome_letter_issue(insured_id=insured.pk) is not None:
                issued += 1
