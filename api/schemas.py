"""What the API sends: plain values, a French label beside every code, no internal id."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, model_validator

from messaging import models as messaging


class FieldError(Schema):
    champ: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details, served as application/problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    accept_url: str | None = Field(
        None, description="403 des conditions à accepter : l'opération qui les accepte."
    )


class Profile(Schema):
    nir_masked: str
    first_names: str
    last_name: str
    birth_date: date
    email: str
    postal_address: list[str]


class Contact(Schema):
    phone: str = Field(description="Vide si aucun.")
    address_line1: str
    address_line2: str
    postal_code: str
    city: str


class ContactChange(Schema):
    """Only the fields sent change; the others stay as they are. The same checks as the
    page « Mes informations »."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(
        None, description="Un numéro français, par exemple 06 12 34 56 78 ; « » l'efface."
    )
    address_line1: str | None = None
    address_line2: str | None = Field(None, description="« » l'efface.")
    postal_code: str | None = Field(None, description="5 chiffres.")
    city: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_email_here(cls, data):
        if isinstance(data, dict) and "email" in data:
            raise ValueError(
                "L'adresse électronique ne se change pas ici : POST /api/auth/app/v1/account/email, "
                "puis le code envoyé à la nouvelle adresse, comme sur le site."
            )
        return data


class _Labelled(Schema):
    id: UUID = Field(alias="public_id")
    kind: str
    kind_label: str
    status: str
    status_label: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class CardEvent(Schema):
    at: datetime
    status: str
    status_label: str
    note: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class Card(_Labelled):
    serial_end: str
    valid_from: date | None
    valid_until: date | None
    in_service: bool = Field(description="Valide et pas arrivée à échéance : utilisable.")
    ordered_at: datetime
    order_reason_label: str
    opposed_at: datetime | None
    opposition_reason_label: str = Field(description="Perte ou vol ; vide sans opposition.")
    departure_on: date | None = Field(description="CEAM : la date de départ indiquée.")
    events: list[CardEvent] = Field(description="L'historique de la carte, le plus récent d'abord.")

    @staticmethod
    def resolve_serial_end(obj) -> str:
        return (obj.serial_number or "")[-4:]

    @staticmethod
    def resolve_order_reason_label(obj) -> str:
        return obj.get_order_reason_display()

    @staticmethod
    def resolve_opposition_reason_label(obj) -> str:
        return obj.get_opposition_reason_display() if obj.opposition_reason else ""

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())  # prefetched by accounts.selectors.cards_by_person


class PersonCards(Schema):
    name: str
    is_beneficiary: bool
    on_parents_card: bool = Field(
        description="Un enfant de moins de 16 ans sans carte à lui : "
        "il figure sur la carte Vitale de ses parents."
    )
    cards: list[Card]


class Document(_Labelled):
    created_at: datetime
    period_start: date | None
    period_end: date | None
    download_url: str | None = Field(None, description="Présent quand le PDF est prêt.")

    @staticmethod
    def resolve_download_url(obj) -> str | None:
        if obj.status != obj.Status.READY:
            return None
        return reverse("api-v1:document_pdf", args=[obj.public_id])


class DocumentAsk(Schema):
    """What « Mes attestations » asks for each kind of document."""

    kind: Literal["droits", "releve", "ij", "fiscal", "vaccination"] = Field(
        description="droits : attestation de droits ; releve : relevé de remboursements (start, "
        "end, ou last_month) ; ij : attestation d'indemnités journalières (start, end) ; fiscal : "
        "relevé fiscal (year) ; vaccination : attestation de vaccination (person, facultatif)."
    )
    start: str | None = Field(None, description="releve, ij : première date de paiement (AAAA-MM-JJ).")
    end: str | None = Field(None, description="releve, ij : dernière date de paiement (AAAA-MM-JJ).")
    last_month: StrictBool = Field(
        False,
        description="releve : true pour le relevé du mois dernier (le bouton « Relevé du mois "
        "dernier » de la page), sans start ni end.",
    )
    year: str | None = Field(None, description="fiscal : l'année des revenus, parmi les 3 dernières.")
    person: str | None = Field(
        None,
        description="vaccination : « » toute la famille, « assure » vous seul, ou l'identifiant "
        "d'un ayant droit.",
    )


class Demarche(_Labelled):
    filed_at: datetime
    expected_by: date
    expected_from_insured: str


class DemarcheEvent(Schema):
    at: datetime
    status: str = Field(alias="to_status")
    status_label: str
    by: str = Field(description="« vous », « votre caisse », « automatiquement »…, comme sur la page.")
    reason: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_to_status_display()


class Attachment(Schema):
    id: UUID = Field(alias="public_id")
    label: str
    content_type: str
    size: int
    for_complement: bool = Field(alias="added_for_complement")


class DemarcheDetail(Demarche):
    reference: str
    events: list[DemarcheEvent] = Field(
        alias="events_in_order", description="Les étapes de la démarche, la plus ancienne d'abord."
    )
    attachments: list[Attachment] = Field(
        alias="attachments_in_order", description="Ses pièces, à télécharger par /demarches/pieces/{id}."
    )


class Thread(Schema):
    id: UUID = Field(alias="public_id")
    topic: str
    topic_label: str
    subject: str
    status: str
    last_message_at: datetime
    unread: int

    @staticmethod
    def resolve_topic_label(obj) -> str:
        return obj.get_topic_display()


class ThreadStart(Schema):
    topic: str = Field(description="Le thème, parmi : " + ", ".join(messaging.Thread.Topic.values))
    subject: str = Field(max_length=messaging.SUBJECT_MAX)
    body: str = Field(max_length=messaging.BODY_MAX)


class Reply(Schema):
    body: str = Field(max_length=messaging.BODY_MAX)


class Message(Schema):
    author: str = Field(alias="author_kind", description="« insured » (vous) ou « caisse »")
    body: str
    sent_at: datetime = Field(alias="created_at")


class ThreadDetail(Thread):
    messages: list[Message] = Field(
        alias="messages_in_order", description="Les messages, le plus ancien d'abord."
    )
