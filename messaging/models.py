"""The message box: threads between an insured person and the caisse, and the caisse's notices."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Insured
from accounts.nir import parse_nir
from ameli_portal.idempotency import key_field, unique_key_per

SUBJECT_MAX = 120
BODY_MAX = 5000


class ThreadTopic(models.TextChoices):
    REIMBURSEMENTS = "remboursements", "Remboursements"
    CARTE_VITALE = "carte_vitale", "Carte Vitale"
    ATTESTATIONS = "attestations", "Attestations"
    REQUESTS = "demarches", "Démarches"
    ACCOUNT = "compte", "Mon compte"
    PERSONAL_DATA = "donnees", "Mes données personnelles (accès, rectification, opposition)"
    OTHER = "autre", "Autre question"


class ThreadKind(models.TextChoices):
    CONVERSATION = "conversation", "Conversation"
    NOTICE = "avis", "Avis"


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Ouverte"
    CLOSED = "closed", "Clôturée"


class Thread(models.Model):
    """A conversation on one topic, or a notice (avis) from the caisse, which takes no reply."""

    Topic = ThreadTopic
    Kind = ThreadKind
    Status = ThreadStatus

    public_id = models.UUIDField("identifiant public", default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="threads"
    )
    topic = models.CharField("thème", max_length=16, choices=ThreadTopic.choices)
    subject = models.CharField("objet", max_length=SUBJECT_MAX)
    kind = models.CharField(
        "type", max_length=12, choices=ThreadKind.choices, default=ThreadKind.CONVERSATION
    )
    status = models.CharField("état", max_length=8, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    # True while the insured person's last message has no answer: the back office's queue.
    awaiting_answer = models.BooleanField("en attente de réponse", default=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    last_message_at = models.DateTimeField("dernier message le")
    # The token of the "Écrire à ma caisse" form: the same form sent twice opens one thread.
    idempotency_key = key_field()

    class Meta:
        verbose_name = "fil de messages"
        verbose_name_plural = "fils de messages"
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            # The insured person's inbox, newest first.
            models.Index(fields=["insured", "-last_message_at"], name="thread_inbox"),
            # The back office's queue: open conversations waiting for the caisse, oldest first.
            models.Index(
                fields=["last_message_at"], name="thread_awaiting_answer", condition=Q(awaiting_answer=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=ThreadTopic.values), name="thread_topic_known"),
            models.CheckConstraint(condition=Q(kind__in=ThreadKind.values), name="thread_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ThreadStatus.values), name="thread_status_known"),
            models.CheckConstraint(condition=~Q(subject=""), name="thread_has_subject"),
            # Nobody waits for an answer to a notice, nor on a closed thread.
            models.CheckConstraint(
                condition=Q(awaiting_answer=False) | Q(kind="conversation", status="open"),
                name="thread_awaiting_only_open_conversation",
            ),
            unique_key_per("insured", name="thread_started_once_per_form"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_notice(self) -> bool:
        return self.kind == self.Kind.NOTICE

    @property
    def accepts_replies(self) -> bool:
        return self.kind == self.Kind.CONVERSATION and self.status == self.Status.OPEN


class AuthorKind(models.TextChoices):
    INSURED = "insured", "Assuré"
    CAISSE = "caisse", "Caisse"


class Message(models.Model):
    AuthorKind = AuthorKind

    thread = models.ForeignKey(Thread, verbose_name="fil", on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField("auteur", max_length=8, choices=AuthorKind.choices)
    # The account that wrote it; none for a notice the portal posted by itself.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="écrit par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField("message", max_length=BODY_MAX)
    created_at = models.DateTimeField("envoyé le", auto_now_add=True)
    # Read by the other side: the insured person for the caisse's messages, and the reverse.
    read_at = models.DateTimeField("lu le", null=True, blank=True)
    # The token of the reply form: the same reply sent twice is one message.
    idempotency_key = key_field()

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="message_thread_order"),
            # The unread counter in the header: the caisse's messages not yet read.
            models.Index(
                fields=["thread"],
                name="message_unread_from_caisse",
                condition=Q(author_kind="caisse", read_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_kind__in=AuthorKind.values), name="message_author_kind_known"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="message_has_body"),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True) | Q(read_at__gte=F("created_at")),
                name="message_read_after_sent",
            ),
            unique_key_per("thread", name="message_sent_once_per_form"),
        ]

    def __str__(self):
        return f"{self.get_author_kind_display()} – {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def from_caisse(self) -> bool:
        return self.author_kind == self.AuthorKind.CAISSE


class ContactSubject(models.TextChoices):
    CODE_MISSING = "code_absent", "Je n'ai pas reçu mon code"
    ACCOUNT_LOCKED = "compte_bloque", "Mon compte est bloqué"
    OTHER = "autre", "Autre"


class ContactStatus(models.TextChoices):
    NEW = "a_traiter", "À traiter"
    ANSWERED = "repondu", "Répondu"
    CLOSED = "clos", "Clôturé"


class ContactRequest(models.Model):
    """A question sent from the public contact form, by someone who is not signed in.

    The identity typed is unchecked (anyone can type anything): staff read it as a hint,
    and the person never learns from the portal whether it matched the register.
    """

    Subject = ContactSubject
    Status = ContactStatus

    public_id = models.UUIDField("identifiant public", default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField("objet", max_length=16, choices=ContactSubject.choices)
    body = models.TextField("message", max_length=BODY_MAX)
    reply_email = models.EmailField("courriel de réponse")
    last_name = models.CharField("nom", max_length=80, blank=True)
    first_names = models.CharField("prénoms", max_length=120, blank=True)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    # 13 characters when typed, validated; shown masked in the back office, never on the site.
    nir = models.CharField("NIR saisi", max_length=13, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=ContactStatus.choices, default=ContactStatus.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField("reçue le", auto_now_add=True)
    answer = models.TextField("réponse envoyée", blank=True)
    answered_at = models.DateTimeField("répondu le", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="répondu par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)

    class Meta:
        verbose_name = "demande de contact"
        verbose_name_plural = "demandes de contact (formulaire public)"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__in=ContactSubject.values), name="contact_subject_known"
            ),
            models.CheckConstraint(condition=Q(status__in=ContactStatus.values), name="contact_status_known"),
            models.CheckConstraint(condition=~Q(body=""), name="contact_has_body"),
            models.CheckConstraint(
                condition=Q(status="a_traiter") | Q(answered_at__isnull=False) | Q(closed_at__isnull=False),
                name="contact_done_is_dated",
            ),
        ]

    def __str__(self):
        return f"{self.get_subject_display()} – {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def reference(self) -> str:
        """What the person quotes on the phone: not an id that counts requests."""
        return self.public_id.hex[:8].upper()

    @property
    def nir_masked(self) -> str:
        return parse_nir(self.nir).masked if self.nir else ""
