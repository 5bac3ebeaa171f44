from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from ameli_portal.emails import enqueue_rendered_email
from ameli_portal.site import current_site, site_url

from . import services
from .models import TermsAcceptance
from .security import log_event
from .terms import terms_accept


class AccountAdapter(DefaultAccountAdapter):
    """allauth, fitted to the register: signup only after an identity proof, login
    by NIR, lockout after repeated failures, emails through the job queue."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": (
            "Le numéro de sécurité sociale ou le mot de passe est incorrect."
        ),
        "too_many_login_attempts": (
            "Trop de tentatives de connexion. Réessayez dans quelques minutes, ou choisissez "
            "« Mot de passe oublié »."
        ),
    }

    def is_open_for_signup(self, request):
        return services.identity_proven(request) is not None

    def populate_username(self, request, user):
        proven = services.identity_proven(request)
        if proven:
            user.username = proven[0].nir

    def clean_password(self, password, user=None):
        # allauth validates the signup password on a blank user: give it the person's
        # identity so that passwords close to it are refused.
        if user is not None and getattr(user, "insured_id", None) is None:
            proven = services.identity_proven(self.request)
            if proven:
                user.insured = proven[0]
        return super().clean_password(password, user=user)

    def save_user(self, request, user, form, commit=True):
        insured, proven_by = services.identity_proven(request)
        user.insured = insured
        user.username = insured.nir
        user.first_name = insured.first_names.split()[0]
        user.last_name = insured.last_name
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                if proven_by == "code":
                    from .codes import provisional_code_spend

                    provisional_code_spend(insured=insured)
                # The form is valid only with both boxes ticked.
                terms_accept(insured=insured, user=user, context=TermsAcceptance.Context.SIGNUP)
                services.identity_forget(request)
                log_event("account_created", user_id=user.pk, proof=proven_by)
        return user

    def is_login_by_code_required(self, login):
        # Right after signup, the email confirmation code already proves the mailbox;
        # a TOTP authenticator replaces the emailed code.
        from allauth.mfa.models import Authenticator

        if login.signup:
            return False
        if Authenticator.objects.filter(
            user=login.user, type=Authenticator.Type.TOTP
        ).exists():
            return False
        return super().is_login_by_code_required(login)

    def authentication_failed(self, request, **credentials):
        login = credentials.get("username") or ""
        services.login_failed(login=login, ip=self.get_client_ip(request))

    def login(self, request, user):
        super().login(request, user)
        services.login_succeeded(user=user)

    def send_mail(self, template_prefix, email, context):
        # Rendered now (allauth's templates need the request), sent by a job after
        # commit; the job erases the body (it may hold a code) once sent.
        subject, body, html = allauth_mail(template_prefix, {"email": email, **context},
                                           request=self.request)
        enqueue_rendered_email(subject=subject, body=body, html=html, to=[email])


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
