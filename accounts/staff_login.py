"""The back office's own sign-in: the staff username and password, then the authenticator
app's code for an account that has one.

Same protections as the insured login: allauth's rate limits, the account's lock after
``ACCOUNT_MAX_FAILED_LOGINS`` wrong passwords, the « suspendue » message counted per
identifier (accounts/lockout.py), one password hash whatever the answer. An insured account
is refused here as a wrong password is, and a staff account on the insured page (see
``NirLoginForm``). Every attempt, failed or not, is a row of the audit trail; the username
typed is kept there as a keyed hash only (it may be a NIR typed at the wrong door).

The code is checked by allauth's own ``AuthenticateForm`` (TOTP or a recovery code, with
its rate limit). With ``STAFF_MFA_REQUIRED`` and no app yet, the staff member is signed in
and ``StaffMfaMiddleware`` sends them to allauth's page that sets one up (allauth asks the
password once more first, as it does before any change of the second factor).
"""

import time

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ameli_portal.audit import audit

from .lockout import STAFF_SUSPENDED_MESSAGE, is_suspended
from .models import User
from .security import fingerprint, log_event
from .services.login import login_succeeded, staff_address_confirm

PENDING_KEY = "staff_login_pending"
PENDING_MAX_AGE = 5 * 60
BACKEND = "accounts.backends.AccountBackend"
MISMATCH = "L'identifiant ou le mot de passe est incorrect."
WRONG_CODE = (
    "Ce code n'est pas le bon ou n'est plus valable : saisissez le code que votre "
    "application affiche maintenant."
)
TOO_MANY = "Trop de tentatives de connexion. Réessayez dans quelques minutes."
TOO_MANY_CODES = "Trop de codes incorrects. Réessayez dans quelques minutes."


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label="Identifiant",
        max_length=150,
        help_text="Votre identifiant d'agent de la caisse (pas un numéro de sécurité sociale).",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    user = None

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        username, password = cleaned.get("username", "").strip(), cleaned.get("password")
        if not username or not password:
            return cleaned
        # allauth's limits, as on its login page: per address, then per address and username.
        if not ratelimit.consume(self.request, action="login"):
            raise ValidationError(TOO_MANY, code="too_many_login_attempts")
        try:
            # allauth's: our backend (locks), our adapter (counts failures).
            user = get_adapter(self.request).authenticate(self.request, username=username, password=password)
        except ValidationError:  # allauth's "login_failed" limit
            user = None
            if not is_suspended(username):
                raise ValidationError(TOO_MANY, code="too_many_login_attempts") from None
        if user is not None and not (user.is_staff and user.insured_id is None):
            user = None  # an insured account: refused as a wrong password, not counted
        if is_suspended(username):
            raise ValidationError(STAFF_SUSPENDED_MESSAGE, code="login_suspended")
        if user is None:
            raise ValidationError(MISMATCH, code="mismatch")
        self.user = user
        return cleaned


class StaffCodeForm(AuthenticateForm):
    """allauth's code check (TOTP, or a recovery code), with the back office's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = "Code de votre application d'authentification"
        field.help_text = "6 chiffres, ou l'un de vos codes de secours."
        field.widget.attrs.update({"placeholder": "", "inputmode": "numeric", "autofocus": True})

    def clean_code(self):
        try:
            return super().clean_code()
        except ValidationError as error:
            code = getattr(error, "code", "")
            raise ValidationError(
                TOO_MANY_CODES if code == "too_many_login_attempts" else WRONG_CODE,
                code=code or "incorrect_code",
            ) from None


def _next_url(request, default: str) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _has_app(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _sign_in(request, user, *, method: str, target: str):
    auth_login(request, user, backend=BACKEND)
    login_succeeded(user=user)
    staff_address_confirm(user=user)
    audit(actor=user, action="staff_login", obj=user, summary=f"back-office : {method}")
    return redirect(target)


def _failed(request, form_or_user, reason: str):
    user = form_or_user if isinstance(form_or_user, User) else None
    username = "" if user else form_or_user.data.get("username", "")
    if user is None and username:
        user = User.objects.filter(username=username.strip()).first()
    summary = f"back-office : {reason}"
    if username:
        summary += f" (identifiant#{fingerprint(username.strip().lower())})"
    audit(actor=None, action="staff_login_failed", obj=user, model=User, summary=summary)
    log_event("staff_login_failed", user_id=user.pk if user else None, reason=reason)


def login_view(site, request, extra_context=None):
    """Step 1: username and password."""
    index = reverse("admin:index", current_app=site.name)
    if request.user.is_authenticated:
        if site.has_permission(request):
            return redirect(_next_url(request, index))
        raise PermissionDenied  # an insured person signed in: not their door
    form = StaffLoginForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_bound:
        if form.is_valid():
            target = _next_url(request, index)
            if _has_app(form.user):
                request.session[PENDING_KEY] = {"user": form.user.pk, "at": time.time(), "next": target}
                return redirect("admin:login_code")
            return _sign_in(request, form.user, method="mot de passe", target=target)
        if form.non_field_errors():
            _failed(
                request,
                form,
                "suspendue" if form.has_error("__all__", "login_suspended") else "identifiants refusés",
            )
    context = {
        **site.each_context(request),
        **(extra_context or {}),
        "title": "Connexion au back-office",
        "form": form,
        "next": _next_url(request, ""),
        "portal_login": reverse("account_login"),
    }
    return TemplateResponse(request, "admin/staff_login.html", context)


def _pending_user(request):
    pending = request.session.get(PENDING_KEY) or {}
    if time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None, None
    user = User.objects.filter(
        pk=pending.get("user"), is_active=True, is_staff=True, locked_at__isnull=True
    ).first()
    return user, pending.get("next")


def login_code_view(site, request):
    """Step 2: the code of the authenticator app (accounts that have one)."""
    user, target = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("admin:login")
    form = StaffCodeForm(user=user, data=request.POST if request.method == "POST" else None)
    if form.is_bound:
        if form.is_valid():
            request.session.pop(PENDING_KEY, None)
            response = _sign_in(request, user, method="mot de passe et application", target=target)
            form.save()  # allauth's record of the app's use (after the login: same session)
            return response
        _failed(request, user, "code de l'application refusé")
    context = {**site.each_context(request), "title": "Code de votre application", "form": form}
    return TemplateResponse(request, "admin/staff_login_code.html", context)
