"""What the API keeps: the answer given to each write, under its ``Idempotency-Key``."""

from django.conf import settings
from django.db import models

from ameli_portal.idempotency import MAX_LENGTH


class IdempotentRequest(models.Model):
    """One write of the API, as it was asked (``fingerprint``) and answered.

    A client that sends the same key again (a retry after a lost answer) gets this answer
    back, with no second effect; the same key with another request is refused. Only answers
    that did something (2xx) are kept: a request refused made nothing, and its key stays good
    for the corrected request, as a web form's token does.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField("clé", max_length=MAX_LENGTH)
    # sha256 of the method, the path and the body as parsed (JSON keys sorted; a form's fields
    # and each file's content): the same request sent by another HTTP library matches.
    fingerprint = models.CharField("empreinte de la requête", max_length=64)
    status = models.PositiveSmallIntegerField("statut de la réponse", null=True)
    content_type = models.CharField("type de la réponse", max_length=100, blank=True, default="")
    body = models.BinaryField("corps de la réponse", default=b"")
    created_at = models.DateTimeField("reçue le", auto_now_add=True)

    class Meta:
        verbose_name = "écriture de l'API"
        verbose_name_plural = "écritures de l'API"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_key_once_per_user"),
        ]

    def __str__(self):
        return f"{self.key} ({self.status})"
