"""Every email the portal can send, found in the template directories, and sample data.

Two families, discovered by name so that a template added tomorrow is listed (in the
back office's preview) and checked (tests/test_email_templates.py) without a list to keep:

- the portal's own: ``emails/<name>-subject.txt``, ``-body.txt``, ``-body.html``;
- the auth library's (allauth): ``<app>/email/<name>_subject.txt`` and ``_message.txt``,
  for each allauth app installed; the template that wins is the one the portal sends
  (ours in ``templates/``, else allauth's stock text, which the test refuses).
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from csp.decorators import csp
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import reverse
from django.utils import timezone

from .emails import allauth_mail, build_email
from .site import site_url


@dataclass(frozen=True)
class EmailTemplate:
    prefix: str  # "emails/welcome", "account/email/login_code"
    family: str  # "portal" or "allauth"

    @property
    def key(self) -> str:
        return self.prefix.replace("/", "-")

    @property
    def label(self) -> str:
        return self.prefix.rsplit("/", 1)[-1].replace("_", "-")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for d in engines["django"].engine.dirs]
    return dirs + [Path(d) for d in get_app_template_dirs("templates")]


def email_templates() -> list[EmailTemplate]:
    found: set[EmailTemplate] = set()
    for root in _template_dirs():
        for subject in root.glob("emails/*-subject.txt"):
            found.add(EmailTemplate(f"emails/{subject.name.removesuffix('-subject.txt')}", "portal"))
        for subject in root.glob("*/email/*_subject.txt"):
            app = subject.parent.parent.name
            if apps.is_installed(f"allauth.{app}"):
                name = subject.name.removesuffix("_subject.txt")
                found.add(EmailTemplate(f"{app}/email/{name}", "allauth"))
    return sorted(found, key=lambda t: (t.family != "portal", t.prefix))


def email_template(key: str) -> EmailTemplate | None:
    return next((t for t in email_templates() if t.key == key), None)


def sample_context() -> dict:
    """One set of made-up values for every variable the templates use (no real person).

    A template that needs a new variable fails the test until it is given here.
    """
    now = timezone.localtime(timezone.make_aware(datetime(2026, 12, 2, 14, 30)))
    base = site_url()
    user = get_user_model()(username="demo-apercu", first_name="Camille", last_name="Martin")
    return {
        "branding": settings.BRANDING,
        "site_url": base,
        "first_name": "Camille",
        "user": user,
        "email": "camille.martin@example.org",
        "reference": "D-2026-000123",
        "kind": "Déclaration de perte de la carte Vitale",
        "status": "complement",
        "status_label": "Documents demandés",
        "url": base + reverse("public:home"),
        "inbox_url": base + reverse("messaging:inbox"),
        "subject": "Changement d'adresse",
        "answer": "Votre nouvelle adresse est enregistrée.",
        "changed_on": "2 décembre 2026",
        "paid_on": "2 décembre 2026",
        "month": "novembre 2026",
        "address_changed": True,
        "phone_changed": True,
        "has_account": True,
        "fields": "nom d'usage",
        "iban_end": "0189",
        "amount": "1 250,00",
        "opposes_card": True,
        "filed_at": now,
        "expires_at": now,
        "timestamp": now,
        "code": "482915",
        "ip": "203.0.113.7",
        "user_agent": "Firefox 133 sous Linux",
        "from_email": "ancienne.adresse@example.org",
        "to_email": "camille.martin@example.org",
        "deleted_email": "ancienne.adresse@example.org",
        "password_reset_url": base + reverse("account_reset_password"),
        "signup_url": base + reverse("account_signup"),
        "activate_url": base + reverse("account_email_verification_sent"),
    }


def render_email(template: EmailTemplate, context: dict | None = None) -> RenderedEmail:
    """The email as it would leave, built by the code that sends it."""
    context = {**sample_context(), **(context or {})}
    if template.family == "portal":
        message = build_email(
            template=template.prefix.removeprefix("emails/"), to=[context["email"]], context=context
        )
        html = next(c for c, mime in message.alternatives if mime == "text/html")
        return RenderedEmail(subject=message.subject, text=message.body, html=html)
    subject, text, html = allauth_mail(template.prefix, context)
    return RenderedEmail(subject=subject, text=text, html=html)


# An email's HTML shown in a frame (the demo mailbox, the back office's preview): the CSP an
# email client would give it, inline styles and data: images, nothing else.
mail_frame_csp = csp(
    {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
)
