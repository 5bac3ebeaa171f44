"""What the messaging app does when the register tells of an event."""

from django.dispatch import receiver

from accounts.events import identity_changed

from .models import Thread
from .services.threads import notice_post


@receiver(identity_changed, dispatch_uid="messaging.identity_changed_notice")
def _identity_notice(sender, *, insured, labels, lines, reason, **kwargs):
    body = "\n".join(
        [
            "Votre caisse a mis à jour votre identité dans son registre :",
            *(f"- {line}" for line in lines),
            "",
            f"Motif : {reason}",
            "",
            "Si une information est inexacte, répondez-nous par un nouveau message "
            "(thème « Mon compte ») ou appelez votre caisse.",
        ]
    )
    # The identity email already points here: one email for the event, not two.
    notice_post(
        insured=insured,
        subject="Mise à jour de votre identité",
        body=body,
        topic=Thread.Topic.ACCOUNT,
        notify=False,
    )
