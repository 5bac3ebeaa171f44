import uuid

from django.conf import settings
from django.db import models


class OutboxJob(models.Model):
    """A job written in the same transaction as the data it is about.

    It is published to the broker after commit; if the broker is down at that
    moment, the relay publishes it later. Its id is the Celery task id, which is
    how a redelivered or retried task finds out that it already ran.

    Life of a job (see ``state``): waiting -> published (leased until ``lease_until``)
    -> done; a transient fault sends it back to waiting until ``next_attempt_at``; when
    its attempts run out, or on a fault that is not transient, it is failed
    (``failed_at``) until staff relaunch it.
    """

    class State(models.TextChoices):
        WAITING = "waiting", "En attente"
        SCHEDULED = "scheduled", "Nouvel essai prévu"
        PUBLISHED = "published", "En cours"
        FAILED = "failed", "Échec"
        DONE = "done", "Terminée"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField("tâche", max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True, db_index=True)
    published_at = models.DateTimeField("publiée le", null=True, blank=True)
    publish_attempts = models.PositiveIntegerField("tentatives de publication", default=0)
    run_attempts = models.PositiveIntegerField("exécutions échouées", default=0)
    # When the relay may publish it again after a transient fault (None: as soon as possible).
    next_attempt_at = models.DateTimeField("prochain essai le", null=True, blank=True)
    # A published job not done by then is published again: its worker may have died.
    lease_until = models.DateTimeField("bail jusqu'au", null=True, blank=True)
    lease_expiries = models.PositiveIntegerField("baux expirés", default=0)
    failed_at = models.DateTimeField("en échec depuis le", null=True, blank=True)
    done_at = models.DateTimeField("terminée le", null=True, blank=True)
    last_error = models.CharField("dernière erreur", max_length=200, blank=True)

    class Meta:
        verbose_name = "tâche en file"
        verbose_name_plural = "tâches en file (outbox)"
        ordering = ["-created_at"]
        # The back office's preview of every email template (sample data only).
        permissions = [("preview_emails", "Peut prévisualiser les modèles de courriels")]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            ),
            # The jobs not done: the relay's leases, the ops page and /readyz read only them.
            models.Index(
                fields=["created_at"],
                name="outbox_open",
                condition=models.Q(done_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.task_name} ({self.id})"

    @property
    def state(self) -> str:
        if self.done_at:
            return self.State.DONE
        if self.failed_at:
            return self.State.FAILED
        if self.published_at:
            return self.State.PUBLISHED
        if self.next_attempt_at:
            return self.State.SCHEDULED
        return self.State.WAITING

    @property
    def state_label(self) -> str:
        return self.State(self.state).label

    @classmethod
    def state_q(cls, state: str) -> models.Q:
        """The rows in ``state``, as a filter (the ops page counts them by state)."""
        open_ = models.Q(done_at__isnull=True, failed_at__isnull=True)
        return {
            cls.State.DONE: models.Q(done_at__isnull=False),
            cls.State.FAILED: models.Q(done_at__isnull=True, failed_at__isnull=False),
            cls.State.PUBLISHED: open_ & models.Q(published_at__isnull=False),
            cls.State.SCHEDULED: open_ & models.Q(published_at__isnull=True, next_attempt_at__isnull=False),
            cls.State.WAITING: open_ & models.Q(published_at__isnull=True, next_attempt_at__isnull=True),
        }[state]


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
