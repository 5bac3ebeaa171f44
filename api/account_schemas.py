"""What « Mon espace », the terms of use and « Mes données » send and take."""

from datetime import datetime
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from .payments_schemas import PaymentItem
from .schemas import Card, Demarche, Document


class Terms(Schema):
    version_in_force: str
    accepted_version: str = Field(description="Vide si aucune.")
    accepted_at: datetime | None
    pending: bool = Field(
        description="Vrai : la version en vigueur n'est pas acceptée, et les autres opérations "
        "répondent 403 jusqu'à son acceptation (POST /moi/conditions)."
    )
    terms_url: str = Field(description="La page publique des conditions d'utilisation.")
    privacy_url: str = Field(description="La notice de protection des données personnelles.")


class TermsAccept(Schema):
    """The two boxes of the acceptance page, both to check."""

    model_config = ConfigDict(extra="forbid")

    accept_terms: StrictBool = Field(description="J'accepte les conditions d'utilisation.")
    accept_privacy: StrictBool = Field(
        description="J'ai pris connaissance de la notice de protection des données personnelles."
    )


class DataExport(Schema):
    id: UUID = Field(alias="public_id")
    status: str
    status_label: str
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime
    size: int = Field(description="En octets ; 0 tant qu'elle n'est pas prête.")
    download_url: str | None = Field(None, description="Présent quand l'archive est prête et pas expirée.")

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_download_url(obj) -> str | None:
        if obj.status != obj.Status.READY or obj.expired:
            return None
        return reverse("api-v1:data_export_zip", args=[obj.public_id])


class HomeCards(Schema):
    name: str
    cards: list[Card] = Field(description="Vos cartes à vous, la plus récente d'abord.")


class Home(Schema):
    since: datetime | None = Field(description="La connexion précédente ; vide à la première.")
    changes: list[str] = Field(description="« 2 paiements », « 1 message » : ce qui est nouveau depuis.")
    new_payments: int
    new_messages: int
    unread_messages: int = Field(description="Les messages de la caisse pas encore lus.")
    waiting: list[Demarche] = Field(description="Les démarches où la caisse attend un complément.")
    payments: list[PaymentItem] = Field(description="Les derniers paiements, comme la page.")
    documents: list[Document] = Field(description="Les documents prêts, les plus récents d'abord.")
    cards: HomeCards
