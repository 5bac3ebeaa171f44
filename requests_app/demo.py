"""Demo démarches for the demo people who have a web account.

Each story goes through the real services (request_file, request_transition,
request_answer_complement, request_assign), so the timelines, the effects on the
register (IBAN history, cards, beneficiaries), the audit rows and the notices in the
message box are the ones the portal makes. Then the rows are backdated (the
``auto_now_add`` dates cannot be given to the services) and the emails the services
queued are dropped before the transaction commits: demo history, not news.

Idempotent: a person who already has démarches is left alone.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from schwifty import IBAN

from accounts import demo as accounts_demo
from accounts.models import HealthCard, HealthCardEvent, IbanHistory, Insured, User
from accounts.services.cards import health_card_deliver
from ameli_portal.emails import send_email_job, send_rendered_email_job
from ameli_portal.formats import first_name
from ameli_portal.models import OutboxJob
from messaging.demo import seed_demo_messages
from messaging.models import Message, Thread

from .models import PROCESSING_DAYS, Attachment, Kind, Request, RequestEvent, Status, add_working_days
from .services import request_assign, request_file, request_transition
from .uploads import check_upload

EMAIL_TASKS = (send_email_job.name, send_rendered_email_job.name)


# --- files that pass the upload checks ---------------------------------------------------


def _pdf(title: str, lines: list[str]) -> bytes:
    from weasyprint import HTML

    items = "".join(f"<p>{line}</p>" for line in lines)
    html = (
        "<html lang='fr'><head><meta charset='utf-8'><style>"
        "body{font-family:sans-serif;font-size:11pt} h1{font-size:16pt}"
        "@page{size:A5;margin:15mm}</style></head>"
        f"<body><h1>{title}</h1>{items}<p><em>Document de démonstration.</em></p></body></html>"
    )
    return HTML(string=html).write_pdf()


def _png(size=(120, 150), background=(228, 236, 244), figure=(90, 110, 140)) -> bytes:
    """A small identity-photo-like image: a head and shoulders on a light background."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.55), fill=figure)
    draw.ellipse((w * 0.1, h * 0.6, w * 0.9, h * 1.3), fill=figure)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _upload(label: str, name: str, data: bytes, content_type: str):
    """A (label, CheckedUpload) pair, checked like an insured person's upload."""
    return label, check_upload(SimpleUploadedFile(name, data, content_type=content_type))


# --- backdating ----------------------------------------------------------------------------


def _last_pk(queryset) -> int:
    return queryset.aggregate(last=Max("pk"))["last"] or 0


@dataclass
class _Story:
    """One démarche told step by step: each step is a service call, then dated ``days_ago``."""

    insured: Insured
    today: date
    request: Request | None = None

    def moment(self, days_ago: int, hour: int = 10) -> datetime:
        return timezone.make_aware(datetime.combine(self.today - timedelta(days=days_ago), time(hour)))

    def step(self, days_ago: int, call, *, hour: int = 10, read: bool = True):
        at = self.moment(days_ago, hour)
        marks = (
            _last_pk(RequestEvent.objects.all()),
            _last_pk(Attachment.objects.all()),
            _last_pk(Thread.objects.filter(insured=self.insured)),
        )
        result = call()
        if self.request is None:
            self.request = result
            Request.objects.filter(pk=result.pk).update(
                filed_at=at, expected_by=add_working_days(at.date(), PROCESSING_DAYS[result.kind])
            )
        request = Request.objects.get(pk=self.request.pk)
        changes = {"updated_at": at}
        if request.status in (Status.ACCEPTED, Status.REFUSED) and request.decided_at > at:
            changes["decided_at"] = at
        Request.objects.filter(pk=request.pk).update(**changes)
        RequestEvent.objects.filter(request=request, pk__gt=marks[0]).update(at=at)
        Attachment.objects.filter(request=request, pk__gt=marks[1]).update(uploaded_at=at)
        # The decision's notice in the message box, read a little later unless it waits.
        threads = Thread.objects.filter(insured=self.insured, pk__gt=marks[2])
        Message.objects.filter(thread__in=threads).update(
            created_at=at, read_at=at + timedelta(hours=5) if read else None
        )
        threads.update(created_at=at, last_message_at=at)
        self.request.refresh_from_db()
        return result


def _backdate_cards(insured, marks, dates: list[datetime]) -> None:
    """Date the card events written after ``marks`` (in order) and the card they made."""
    events = list(
        HealthCardEvent.objects.filter(card__insured=insured, pk__gt=marks)
        .select_related("card")
        .order_by("pk")
    )
    for event, at in zip(events, dates, strict=False):
        HealthCardEvent.objects.filter(pk=event.pk).update(at=at)
    for card in {event.card for event in events}:
        first = dates[0]
        changes = {"ordered_at": first}
        if card.status == HealthCard.Status.VALID and len(dates) > 1:
            delivered = dates[-1].date()
            changes["valid_from"] = delivered
            if card.kind == HealthCard.Kind.CEAM:
                changes["valid_until"] = delivered + timedelta(days=730)
        HealthCard.objects.filter(pk=card.pk).update(**changes)


# --- the stories ---------------------------------------------------------------------------


def _old_iban(order: int) -> str:
    return IBAN.generate("FR", bank_code="20041", branch_code="01005", account_code=f"{order:011d}").compact


def _seed_main(insured: Insured, agent: User, today: date) -> None:
    """RIB accepted, carte Vitale in instruction, prestation waiting for a complement, CEAM done."""
    user = insured.user

    # 1. A new bank account: filed two months ago, accepted, the register's IBAN history shows it.
    # The account the register holds today is the one the démarche asked for; before it,
    # the person was paid on an older account (the past, set up here).
    new_iban = insured.iban
    if new_iban:
        Insured.objects.filter(pk=insured.pk).update(iban=_old_iban(insured.pk))
        insured.refresh_from_db()
        rib = _Story(insured, today)
        rib.step(
            62,
            lambda: request_file(
                insured=insured,
                kind=Kind.RIB,
                data={"iban": new_iban},
                actor=user,
                uploads=[
                    _upload(
                        "RIB",
                        "rib-nouvelle-banque.pdf",
                        _pdf(
                            "Relevé d'identité bancaire",
                            [
                                f"Titulaire : {first_name(insured.first_names)} {insured.last_name}",
                                f"IBAN : {IBAN(new_iban).formatted}",
                                "BIC : BNPAFRPPXXX",
                            ],
                        ),
                        "application/pdf",
                    )
                ],
            ),
        )
        rib.step(60, lambda: request_assign(request=rib.request, to=agent, actor=agent))
        rib.step(
            60, lambda: request_transition(request=rib.request, to_status=Status.REVIEW, actor=agent), hour=11
        )
        marks = _last_pk(IbanHistory.objects.filter(insured=insured))
        rib.step(
            57,
            lambda: request_transition(
                request=rib.request,
                to_status=Status.ACCEPTED,
                actor=agent,
                reason="RIB vérifié : vos remboursements sont versés sur ce compte à partir du "
                "prochain paiement.",
            ),
        )
        IbanHistory.objects.filter(insured=insured, pk__gt=marks).update(
            valid_from=date(2015, 1, 1), valid_until=rib.moment(57).date()
        )

    # 2. A CEAM for the child before a holiday: accepted, the card sent, the démarche closed.
    child = insured.beneficiaries.order_by("birth_date", "pk").first()
    ceam = _Story(insured, today)
    ceam.step(
        45,
        lambda: request_file(
            insured=insured,
            kind=Kind.CEAM,
            beneficiary=child,
            actor=user,
            data={"departure_on": (today - timedelta(days=20)).isoformat()},
        ),
    )
    ceam.step(44, lambda: request_transition(request=ceam.request, to_status=Status.REVIEW, actor=agent))
    marks = _last_pk(HealthCardEvent.objects.filter(card__insured=insured))
    ceam.step(
        43,
        lambda: request_transition(
            request=ceam.request,
            to_status=Status.ACCEPTED,
            actor=agent,
            reason="La carte est commandée : elle arrive par courrier d'ici une semaine.",
        ),
    )
    card = HealthCard.objects.filter(
        insured=insured, beneficiary=child, kind=HealthCard.Kind.CEAM, status=HealthCard.Status.ORDERED
    ).first()
    if card is not None:
        health_card_deliver(card=card, actor=agent)
        _backdate_cards(insured, marks, [ceam.moment(43), ceam.moment(38)])
    ceam.step(
        30,
        lambda: request_transition(
            request=ceam.request,
            to_status=Status.CLOSED,
            actor=None,
            reason="Carte envoyée : démarche terminée.",
        ),
        hour=3,
    )

    # 3. A wheelchair: the quote is there, the caisse asks for the prescription.
    wheelchair = _Story(insured, today)
    wheelchair.step(
        20,
        lambda: request_file(
            insured=insured,
            kind=Kind.PRESTATION,
            actor=user,
            data={
                "equipment": "Fauteuil roulant manuel",
                "amount": "1250.00",
                "comment": "Fauteuil léger pliable, conseillé par le kinésithérapeute.",
            },
            uploads=[
                _upload(
                    "Devis",
                    "devis-fauteuil.pdf",
                    _pdf(
                        "Devis n° 2026-0412",
                        [
                            "Fauteuil roulant manuel pliable, assise 45 cm",
                            "Coussin d'assise",
                            "Total TTC : 1 250,00 €",
                            "Devis valable 3 mois.",
                        ],
                    ),
                    "application/pdf",
                )
            ],
        ),
    )
    wheelchair.step(17, lambda: request_assign(request=wheelchair.request, to=agent, actor=agent))
    wheelchair.step(
        17,
        lambda: request_transition(request=wheelchair.request, to_status=Status.REVIEW, actor=agent),
        hour=11,
    )
    wheelchair.step(
        9,
        lambda: request_transition(
            request=wheelchair.request,
            to_status=Status.COMPLEMENT,
            actor=agent,
            reason="La prescription médicale du fauteuil roulant (ordonnance de votre médecin), "
            "datée de moins de trois mois.",
        ),
        read=False,
    )

    # 4. A carte Vitale renewal (new photo): under review.
    vitale = _Story(insured, today)
    vitale.step(
        6,
        lambda: request_file(
            insured=insured,
            kind=Kind.VITALE,
            actor=user,
            data={"reason": "renewal"},
            uploads=[_upload("Photo d'identité", "photo.png", _png(), "image/png")],
        ),
    )
    vitale.step(4, lambda: request_transition(request=vitale.request, to_status=Status.REVIEW, actor=agent))


def _seed_refused_delay(insured: Insured, agent: User, today: date) -> None:
    """A payment delay refused with its reason; a family situation just filed."""
    user = insured.user
    delay = _Story(insured, today)
    delay.step(
        30,
        lambda: request_file(
            insured=insured,
            kind=Kind.COTISATION,
            actor=user,
            data={
                "contribution": "csm",
                "reference": "CSM-2025-08841",
                "months": 6,
                "reason": "Baisse de mes revenus cette année : je souhaite étaler le paiement.",
            },
        ),
    )
    delay.step(28, lambda: request_transition(request=delay.request, to_status=Status.REVIEW, actor=agent))
    delay.step(
        21,
        lambda: request_transition(
            request=delay.request,
            to_status=Status.REFUSED,
            actor=agent,
            reason="Un échéancier est déjà en cours pour cette cotisation : un second délai ne peut "
            "pas être accordé. Vous pouvez contacter votre caisse pour l'adapter.",
        ),
    )

    family = _Story(insured, today)
    family.step(
        2,
        lambda: request_file(
            insured=insured,
            kind=Kind.FAMILY,
            actor=user,
            data={"situation": "pacse", "since": (today - timedelta(days=40)).isoformat()},
            uploads=[
                _upload(
                    "Justificatif de situation",
                    "pacs.pdf",
                    _pdf(
                        "Récépissé d'enregistrement de PACS",
                        [
                            f"Partenaire : {first_name(insured.first_names)} {insured.last_name}",
                            f"Enregistré le {today - timedelta(days=40):%d/%m/%Y}",
                        ],
                    ),
                    "application/pdf",
                )
            ],
        ),
    )


def _seed_birth(insured: Insured, agent: User, today: date) -> None:
    """A birth declared and accepted: the child is now a beneficiary in the register."""
    user = insured.user
    born = today - timedelta(days=75)
    birth = _Story(insured, today)
    birth.step(
        60,
        lambda: request_file(
            insured=insured,
            kind=Kind.CHILD,
            actor=user,
            data={
                "declaration": "naissance",
                "last_name": insured.last_name,
                "first_names": "Nina",
                "birth_date": born.isoformat(),
                "sex": "2",
            },
            uploads=[
                _upload(
                    "Acte de naissance ou livret de famille",
                    "acte-naissance.pdf",
                    _pdf(
                        "Extrait d'acte de naissance", [f"Nina {insured.last_name}, née le {born:%d/%m/%Y}"]
                    ),
                    "application/pdf",
                )
            ],
        ),
    )
    birth.step(58, lambda: request_transition(request=birth.request, to_status=Status.REVIEW, actor=agent))
    birth.step(
        55,
        lambda: request_transition(
            request=birth.request,
            to_status=Status.ACCEPTED,
            actor=agent,
            reason="Nina est rattachée à votre dossier comme ayant droit.",
        ),
    )


STORIES = [_seed_main, _seed_refused_delay, _seed_birth]


def seed() -> list[str]:
    """Called by ``manage.py seed_demo``: démarches for the demo people who have an account."""
    agent = User.objects.filter(username="conseiller", is_staff=True).first()
    if agent is None:
        return []
    started = timezone.now()
    today = timezone.localdate()
    # The demo register's people with an account, in its order (the first one is the main one).
    names = [(last, first) for last, first, *_, situation in accounts_demo.PEOPLE if situation == "account"]
    found = {
        (i.last_name, i.first_names): i
        for i in Insured.objects.filter(
            user__isnull=False, caisse__code="999", last_name__in=[last for last, _ in names]
        ).select_related("user")
    }
    people = [found[name] for name in names if name in found]
    seeded = 0
    with transaction.atomic():
        for insured, story in zip(people, STORIES, strict=False):
            if insured.requests.exists():
                continue
            # The message box's own demo first: it leaves alone a box that already has
            # threads, and the decisions below post notices.
            seed_demo_messages(insured)
            story(insured, agent, today)
            seeded += 1
        # Emails queued above would go out on commit: not for past events.
        OutboxJob.objects.filter(
            created_at__gte=started, published_at__isnull=True, task_name__in=EMAIL_TASKS
        ).delete()
    return [f"démarches    {seeded} dossier(s) de démonstration rempli(s)"] if seeded else []
