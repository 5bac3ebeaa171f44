"""Send an email from three templates: subject, text body and HTML body.

``emails/<name>-subject.txt``, ``emails/<name>-body.txt`` and
``emails/<name>-body.html``. Contexts hold no NIR and no health detail: an email
only tells that something is waiting in the account.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .jobs import job
from .outbox import enqueue
from .site import site_url


def build_email(*, template: str, to: list[str], context: dict) -> EmailMultiAlternatives:
    context = {"branding": settings.BRANDING, "site_url": site_url(), **context}
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    return message


def send_templated_email(*, template: str, to: list[str], context: dict) -> None:
    build_email(template=template, to=to, context=context).send()


@job(name="ameli_portal.send_email")
def send_email_job(template: str, to: list[str], context: dict) -> None:
    send_templated_email(template=template, to=to, context=context)


def enqueue_email(*, template: str, to: list[str], context: dict):
    """Send the email once the current transaction commits, through the outbox.

    The portal's address is fixed now, while the request that asked for the email is known.
    """
    context = {"site_url": site_url(), **context}
    return enqueue(send_email_job, template=template, to=list(to), context=context)


@job(name="ameli_portal.send_rendered_email", wipe_args=True)
def send_rendered_email_job(subject: str, body: str, html: str, to: list[str]) -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def enqueue_rendered_email(*, subject: str, body: str, html: str, to: list[str]):
    """Queue an email already rendered elsewhere (allauth's); its text is wiped once sent."""
    return enqueue(send_rendered_email_job, subject=subject, body=body, html=html, to=list(to))
