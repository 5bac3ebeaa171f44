"""The demo mailbox: an email backend that keeps messages in the database.

Used by the embedded default (and by the tests' worker) instead of SMTP; the
demo mailbox page lists what it kept, together with postal letters.
"""

from django.core.mail.backends.base import BaseEmailBackend

from .models import DemoMessage


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html = content
            DemoMessage.objects.create(
                kind=DemoMessage.Kind.EMAIL,
                recipient=", ".join(message.recipients()),
                subject=message.subject,
                body_text=message.body,
                body_html=html,
            )
        return len(email_messages)


def post_demo_letter(*, recipient: str, subject: str, pdf: bytes) -> DemoMessage:
    """Keep a postal letter in the demo mailbox (the embedded default has no printer)."""
    return DemoMessage.objects.create(
        kind=DemoMessage.Kind.LETTER, recipient=recipient, subject=subject, pdf=pdf
    )
