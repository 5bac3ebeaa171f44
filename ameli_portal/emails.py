"""Send an email from three templates: subject, text body and HTML body; and render the
auth library's mails (``allauth_mail``, called by accounts.adapter) in the portal's voice.

``emails/<name>-subject.txt``, ``emails/<name>-body.txt`` and
``emails/<name>-body.html``. Contexts hold no NIR and no health detail: an email
only tells that something is waiting in the account.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from .jobs import job
from .outbox import enqueue
from .site import current_site, site_url


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


# --- the auth library's mails (allauth) -------------------------------------------------

SIGNATURE = "\n-- \n"  # the usual delimiter of an email's signature (base_message.txt)


def allauth_mail(template_prefix: str, context: dict, *, request=None) -> tuple[str, str, str]:
    """Subject, text and HTML of one of allauth's mails, as the portal sends it (and as the
    back office previews it): allauth's texts are text only, so the HTML part is the same
    text in the portal's frame, unless a ``_message.html`` template exists."""
    context = {**mail_context(template_prefix), **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}_message.txt", context, request).strip()
    try:
        html = render_to_string(f"{template_prefix}_message.html", context, request)
    except TemplateDoesNotExist:
        # The frame has the caisse's signature: the text's own (after "-- ") is left out.
        body = text.split(SIGNATURE)[0]
        html = render_to_string("emails/from-text.html", {**context, "subject": subject, "text": body})
    return subject, text, html


def mail_context(template_prefix: str) -> dict:
    """What every allauth mail gets besides allauth's own context: the caisse's name, the
    portal as the « current site », and how long the code or link of this mail lasts."""
    timeouts = {
        "account/email/password_reset_key": settings.PASSWORD_RESET_TIMEOUT,
        "account/email/login_code": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT,
        "account/email/email_confirmation": settings.ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT,
        "account/email/email_confirmation_signup": settings.ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT,
        "account/email/password_reset_code": settings.ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT,
    }
    context = {"branding": settings.BRANDING, "current_site": current_site(), "site_url": site_url()}
    if template_prefix in timeouts:
        context["validity"] = duration_fr(timeouts[template_prefix])
    return context


def duration_fr(seconds: int) -> str:
    """« 10 minutes », « 2 heures », « 3 jours »: the largest whole unit."""
    for size, unit in ((86400, "jour"), (3600, "heure"), (60, "minute")):
        if seconds >= size and seconds % size == 0 or size == 60:
            count = max(seconds // size, 1)
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return ""
