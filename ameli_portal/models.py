import uuid

from django.conf import settings
from django.db import models


class OutboxJob(models.Model):
    """A job written in the same transaction as the data it is about.

    It is published to the broker after commit; if the broker is down at that
    moment, the relay publishes it later. Its id is the Celery task id, which is
    how a redelivered or retried task finds out that it already ran.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField("tâche", max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True, db_index=True)
    published_at = models.DateTimeField("publiée le", null=True, blank=True)
    publish_attempts = models.PositiveIntegerField("tentatives de publication", default=0)
    run_attempts = models.PositiveIntegerField("exécutions échouées", default=0)
    done_at = models.DateTimeField("terminée le", null=True, blank=True)
    last_error = models.CharField("dernière erreur", max_length=200, blank=True)

    class Meta:
        verbose_name = "tâche en file"
        verbose_name_plural = "tâches en file (outbox)"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.task_name} ({self.id})"

    @property
    def state(self) -> str:
        if self.done_at:
            return "terminée"
        if self.published_at:
            return "publiée"
        return "en attente"


class DemoMessage(models.Model):
    """What the portal 'sent' in the embedded default: emails and postal letters."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Courriel"
        LETTER = "letter", "Courrier postal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.EMAIL)
    recipient = models.TextField("destinataire")
    subject = models.CharField("objet", max_length=300)
    body_text = models.TextField("texte", blank=True)
    body_html = models.TextField("HTML", blank=True)
    pdf = models.BinaryField("PDF", null=True, blank=True)
    created_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "message de démonstration"
        verbose_name_plural = "boîte aux lettres de démonstration"
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject


class AuditEvent(models.Model):
    """Append-only trail of who did or saw what on insured data.

    The database refuses UPDATE and DELETE on its table (triggers, migration 0002).
    """

    # PROTECT: the database refuses any UPDATE of a row (see migration 0002), so deleting an
    # actor cannot null it; a staff account with a trail is deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="agent",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("action", max_length=40)
    object_type = models.CharField("type d'objet", max_length=100)
    object_id = models.CharField("identifiant", max_length=64, blank=True)
    summary = models.CharField("résumé", max_length=300, blank=True)
    # {field: [old, new]} for a change; {"ids": [...]} for a list that was shown.
    changes = models.JSONField("valeurs", default=dict, blank=True)
    created_at = models.DateTimeField("date", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "événement d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}"
