"""A rich household: one insured person with an account owning one of every kind of object.

Used by the access matrix (family 2) and the form fuzz (family 3), which also reach every
page that takes an identifier through IDENTIFIERS below.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.data_export import data_export_request
from accounts.models import Exemption
from ameli_portal.models import DemoMessage
from attestations import services as attestation_services
from attestations.models import Document
from messaging.models import Thread
from messaging.services.threads import notice_post, thread_start
from reimbursements.models import Payment
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from requests_app import services as request_services
from requests_app.uploads import check_upload
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    HealthCardEventFactory,
    HealthCardFactory,
    InsuredFactory,
    MessageFactory,
    StaffFactory,
    UserFactory,
)
from tests.requests_app.helpers import upload

NEWCOMER_IBAN = "FR7630006000011234567890189"


@dataclass
class Household:
    user: object
    insured: object
    beneficiary: object
    card: object
    payment: Payment
    document: Document  # ready, with its PDF
    failed_document: Document  # its render failed: "Réessayer" is offered
    request: object  # a démarche with its attachment
    complement_request: object  # a démarche waiting for documents from the insured
    attachment: object
    thread: Thread
    notice: Thread
    demo_letter: DemoMessage
    newcomer: object  # in the register, no account yet: the sign-up steps are theirs
    data_export: object  # « Télécharger mes données », ready
    public_confirmation: object  # a carte Vitale asked without an account, waiting for its code


def build_household(capture_on_commit) -> Household:
    """Everything through the services, as in real life; ``capture_on_commit`` is pytest-django's
    django_capture_on_commit_callbacks, so that the PDF jobs run (in-process) and files exist."""
    user = UserFactory()
    insured = user.insured
    clerk = StaffFactory()
    beneficiary = BeneficiaryFactory(insured=insured, first_names="Lou")
    Exemption.objects.create(insured=insured, kind=Exemption.Kind.CSS, start=date(2020, 1, 1))
    card = HealthCardFactory(insured=insured)
    HealthCardEventFactory(card=card)

    day = date(2026, 3, 10)
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured, received_on=day), care_date=day, charged=Decimal("30.00")
    )
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    payments_run(day=day + timedelta(days=1))
    settlement.refresh_from_db()
    # An act on its way (not yet paid), for the lists.
    care_sheet_post(
        sheet=CareActFactory(
            sheet=CareSheetFactory(insured=insured, beneficiary=beneficiary), care_date=day
        ).sheet,
        actor=None,
    )

    with capture_on_commit(execute=True):
        document = attestation_services.document_request(insured=insured, kind=Document.Kind.RIGHTS)
        failed = Document.objects.create(
            owner=insured,
            kind=Document.Kind.TAX,
            content_key="x" * 64,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
        )
        attestation_services.document_mark_failed(document_id=failed.pk, error="test")
        filed = request_services.request_file(
            insured=insured,
            kind="prestation",
            actor=user,
            data={"equipment": "Fauteuil roulant", "amount": "1250.00", "comment": ""},
            uploads=[("Devis", check_upload(upload("devis.pdf")))],
        )
        complement = request_services.request_file(
            insured=insured,
            kind="prestation",
            actor=user,
            data={"equipment": "Lit médicalisé", "amount": "900.00", "comment": ""},
        )
        request_services.request_transition(request=complement, to_status="instruction", actor=clerk)
        request_services.request_transition(
            request=complement, to_status="complement", actor=clerk, reason="Merci de joindre le devis signé."
        )
        thread = thread_start(
            insured=insured,
            user=user,
            topic="remboursements",
            subject="Ma question",
            body="Bonjour, une question.",
        )
        MessageFactory(thread=thread, body="Bonjour, voici notre réponse.")
        notice = notice_post(insured=insured, subject="Avis", body="Un avis de la caisse.")
        export = data_export_request(user=user)
        without_account = request_services.request_file(
            insured=insured, kind="carte_vitale", data={"reason": "loss"}, filed_without_account=True
        )
    export.refresh_from_db()
    assert export.file, "l'archive de « Télécharger mes données » est prête"
    document.refresh_from_db()
    assert document.status == Document.Status.READY and document.file
    letter = DemoMessage.objects.create(
        kind=DemoMessage.Kind.LETTER,
        recipient="Claude",
        subject="Courrier",
        body_text="Bonjour",
        body_html="<p>Bonjour</p>",
        pdf=b"%PDF-1.4 test",
    )
    newcomer = InsuredFactory(iban=NEWCOMER_IBAN, postal_code="75011")
    return Household(
        newcomer=newcomer,
        user=user,
        insured=insured,
        beneficiary=beneficiary,
        card=card,
        payment=settlement.payment,
        document=document,
        failed_document=failed,
        request=filed,
        complement_request=complement,
        attachment=filed.attachments.get(),
        thread=thread,
        notice=notice,
        demo_letter=letter,
        data_export=export,
        public_confirmation=without_account.public_confirmation,
    )


def grant(user, *perms: str):
    """Give ``user`` the permissions named "app_label.codename"."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@dataclass(frozen=True)
class Case:
    """How to reach the owner's object behind a URL that takes an identifier.

    ``kwargs``: the URL's parameters for this household. ``method``/``data``: how the page is
    used (a POST-only action is posted). ``owned``: False when the identifier is no one's (a kind
    of form): another insured then gets the page too. ``owner_status``: what the owner gets.
    ``staff``: the same object in the back office, and the permission that opens it.
    ``demo``: a demo-mode page, public by design (no owner). ``public``: a public page whose
    identifier is a random token (anyone, signed in or not, gets the same page).
    """

    kwargs: object
    method: str = "get"
    data: object = None
    owned: bool = True
    owner_status: int = 200
    staff: object = None
    staff_perm: str = ""
    demo: bool = False
    public: bool = False


def _admin(name, *args):
    return lambda h: reverse(f"admin:{name}", args=[a(h) for a in args])


# Every URL that takes an identifier, outside the admin and allauth. A pattern with an
# identifier that is missing here fails tests/security/test_access_matrix.py.
IDENTIFIERS = {
    "reimbursements:payment_detail": Case(
        kwargs=lambda h: {"public_id": h.payment.public_id},
        staff=_admin("reimbursements_payment_change", lambda h: h.payment.pk),
        staff_perm="reimbursements.view_payment",
    ),
    "attestations:status": Case(kwargs=lambda h: {"public_id": h.document.public_id}),
    "attestations:download": Case(
        kwargs=lambda h: {"public_id": h.document.public_id},
        staff=_admin("attestations_document_download", lambda h: h.document.pk),
        staff_perm="attestations.view_document",
    ),
    "attestations:retry": Case(
        kwargs=lambda h: {"public_id": h.failed_document.public_id}, method="post", owner_status=302
    ),
    "requests_app:create": Case(kwargs=lambda h: {"kind": "prestation"}, owned=False),
    "requests_app:detail": Case(
        kwargs=lambda h: {"public_id": h.request.public_id},
        staff=_admin("requests_app_request_change", lambda h: h.request.pk),
        staff_perm="requests_app.view_request",
    ),
    "requests_app:attachment": Case(
        kwargs=lambda h: {"public_id": h.attachment.public_id},
        staff=_admin(
            "requests_app_request_attachment", lambda h: h.request.pk, lambda h: h.attachment.public_id
        ),
        staff_perm="requests_app.view_attachment",
    ),
    "messaging:thread": Case(
        kwargs=lambda h: {"public_id": h.thread.public_id},
        staff=_admin("messaging_thread_change", lambda h: h.thread.pk),
        staff_perm="messaging.view_thread",
    ),
    "messaging:reply": Case(
        kwargs=lambda h: {"public_id": h.thread.public_id},
        method="post",
        data={"body": "Merci pour votre réponse."},
        owner_status=302,
    ),
    "accounts:my_data_download": Case(kwargs=lambda h: {"public_id": h.data_export.public_id}),
    "requests_app:public_vitale_confirm": Case(
        kwargs=lambda h: {"public_id": h.public_confirmation.public_id}, public=True
    ),
    "public:demo_message": Case(kwargs=lambda h: {"message_id": h.demo_letter.pk}, demo=True),
    "public:demo_message_html": Case(kwargs=lambda h: {"message_id": h.demo_letter.pk}, demo=True),
    "public:demo_letter_pdf": Case(kwargs=lambda h: {"message_id": h.demo_letter.pk}, demo=True),
}

# Pages worth visiting with other identifiers too (the form fuzz looks for their forms).
EXTRA_PAGES = {
    "requests_app:detail": [lambda h: {"public_id": h.complement_request.public_id}],
    "messaging:thread": [lambda h: {"public_id": h.notice.public_id}],
    "requests_app:create": [],  # every kind: filled in by the fuzz from requests_app.forms.FORMS
}
