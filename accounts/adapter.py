from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from ameli_portal.emails import allauth_mail, enqueue_rendered_email
from ameli_portal.formats import first_name

from .models import TermsAcceptance
from .nir import login_identifier
from .security import log_event
from .services.identity import identity_forget, identity_proven
from .services.login import login_failed, login_succeeded
from .terms import terms_accept


class AccountAdapter(DefaultAccountAdapter):
    """allauth, fitted to the register: signup only after an identity proof, login
    by NIR, lockout after repeated failures, emails through the job queue."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": ("Le numéro de sécurité sociale ou le mot de passe est incorrect."),
        "too_many_login_attempts": (
            "Trop de tentatives de connexion. Réessayez dans quelques minutes, ou choisissez "
            "« Mot de passe oublié »."
        ),
    }

    def is_open_for_signup(self, request):
        return identity_proven(request) is not None

    def populate_username(self, request, user):
        proven = identity_proven(request)
        if proven:
            user.username = proven[0].nir

    def clean_password(self, password, user=None):
        # allauth validates the signup password on a blank user: give it the person's
        # identity so that passwords close to it are refused.
        if user is not None and getattr(user, "insured_id", None) is None:
            proven = identity_proven(self.request)
            if proven:
                user.insured = proven[0]
        return super().clean_password(password, user=user)

    def save_user(self, request, user, form, commit=True):
        insured, proven_by = identity_proven(request)
        user.insured = insured
        user.username = insured.nir
        user.first_name = first_name(insured.first_names)
        user.last_name = insured.last_name
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                if proven_by == "code":
                    from .services.codes import provisional_code_spend

                    provisional_code_spend(insured=insured)
                # The form is valid only with both boxes ticked.
                terms_accept(insured=insured, user=user, context=TermsAcceptance.Context.SIGNUP)
                identity_forget(request)
                log_event("account_created", user_id=user.pk, proof=proven_by)
        return user

    def is_login_by_code_required(self, login):
        # Right after signup, the email confirmation code already proves the mailbox;
        # a TOTP authenticator replaces the emailed code.
        from allauth.mfa.models import Authenticator

        if login.signup:
            return False
        if Authenticator.objects.filter(user=login.user, type=Authenticator.Type.TOTP).exists():
            return False
        return super().is_login_by_code_required(login)

    def authenticate(self, request, **credentials):
        # The web form cleans the NIR itself; allauth's app API (api/) hands it over as typed.
        if "username" in credentials:
            credentials["username"] = login_identifier(credentials["username"])
        return super().authenticate(request, **credentials)

    def authentication_failed(self, request, **credentials):
        login = credentials.get("username") or ""
        login_failed(login=login, ip=self.get_client_ip(request))

    def login(self, request, user):
        super().login(request, user)
        login_succeeded(user=user)

    def send_mail(self, template_prefix, email, context):
        # Rendered now (allauth's templates need the request), sent by a job after
        # commit; the job erases the body (it may hold a code) once sent.
        subject, body, html = allauth_mail(template_prefix, {"email": email, **context}, request=self.request)
        enqueue_rendered_email(subject=subject, body=body, html=html, to=[email])
