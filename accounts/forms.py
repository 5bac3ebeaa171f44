from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, LoginForm, ResetPasswordForm, SignupForm
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone

from .fields import NirFormField
from .lockout import SUSPENDED_MESSAGE, is_suspended
from .models import Insured, User
from .nir import login_identifier
from .terms import TermsFieldsMixin

DATE_HELP = "Au format JJ/MM/AAAA, par exemple 31/01/1985."


def _nir_field(**kwargs):
    return NirFormField(
        label="Numéro de sécurité sociale",
        help_text="13 chiffres (ou 15 avec la clé), tel qu'il figure sur votre carte Vitale.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "text", "spellcheck": "false"}
        ),
        **kwargs,
    )


class IdentityForm(forms.Form):
    nir = _nir_field()
    last_name = forms.CharField(
        label="Nom",
        max_length=80,
        help_text="Votre nom de famille ou votre nom d'usage.",
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    birth_date = forms.DateField(
        label="Date de naissance",
        help_text=DATE_HELP,
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Saisissez une date valide au format JJ/MM/AAAA."},
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric"}),
    )
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^\s*[0-9]{5}\s*$",
        help_text="Celui de l'adresse où vous recevez le courrier de l'Assurance Maladie.",
        error_messages={"invalid": "Le code postal comporte 5 chiffres."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )


class IbanProofForm(forms.Form):
    last_seven = forms.CharField(
        label="Les 7 derniers caractères de votre IBAN",
        min_length=7,
        max_length=12,
        help_text="L'IBAN du compte sur lequel vous recevez vos remboursements.",
        error_messages={"min_length": "Saisissez les 7 derniers caractères de l'IBAN."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CodeProofForm(forms.Form):
    nir = _nir_field()
    code = forms.CharField(
        label="Code provisoire reçu par courrier",
        max_length=12,
        help_text="8 chiffres.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class NirLoginForm(LoginForm):
    """Log in with the NIR: 13 characters, or 15 with the key, spaces allowed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.label = "Numéro de sécurité sociale"
        field.help_text = "13 chiffres, sans la clé (ou 15 avec la clé)."
        field.widget.attrs.update({"placeholder": "", "autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].label = "Mot de passe"
        self.fields["password"].widget.attrs["placeholder"] = ""
        # allauth puts a "forgot password" link here, before the input in tab order;
        # the page has its own after the form.
        self.fields["password"].help_text = ""

    def clean_login(self):
        return login_identifier(self.cleaned_data["login"])

    def clean(self):
        """After ``ACCOUNT_MAX_FAILED_LOGINS`` failures with one identifier, the answer is
        « suspendue » whatever the identifier (accounts/lockout.py); a staff account is
        refused here as a wrong password is (its door is the back office's sign-in page).
        Either way the password has been checked once, as for every other answer."""
        try:
            cleaned = super().clean()
        except ValidationError:
            if self._suspended():
                raise ValidationError(SUSPENDED_MESSAGE, code="login_suspended") from None
            raise
        if self.user is not None and (
            self.user.is_staff or self.user.insured_id is None or self._suspended()
        ):
            self.user = None
            if self._suspended():
                raise ValidationError(SUSPENDED_MESSAGE, code="login_suspended")
            raise get_adapter(self.request).validation_error("username_password_mismatch")
        return cleaned

    def _suspended(self) -> bool:
        login = self.cleaned_data.get("login")
        return bool(login) and is_suspended(login)


class CredentialsForm(TermsFieldsMixin, SignupForm):
    """Second half of account creation: the email, the password and the two boxes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Adresse électronique"
        self.fields[
            "email"
        ].help_text = "Nous y enverrons un code pour la confirmer, puis un code à chaque connexion."
        self.fields["email"].widget.attrs["placeholder"] = ""
        self.fields["password1"].label = "Mot de passe"
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()
        self.fields["password1"].widget.attrs["placeholder"] = ""
        self.fields["password2"].label = "Confirmez le mot de passe"
        self.fields["password2"].widget.attrs["placeholder"] = ""


class NirResetPasswordForm(ResetPasswordForm):
    """Forgotten password: the NIR and the email on the account must both match."""

    nir = _nir_field()
    field_order = ["nir", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Adresse électronique de votre compte"
        self.fields["email"].widget.attrs["placeholder"] = ""
        self.order_fields(self.field_order)

    def clean(self):
        cleaned = super().clean()
        nir, email = cleaned.get("nir"), cleaned.get("email")
        users = []
        if nir and email:
            users = list(User.objects.filter(username=nir, email__iexact=email, is_active=True))
        # Whatever matched, the answer is the same page: "if an account matches, a code
        # was sent"; only the matching account gets the code.
        self.users = users
        return cleaned


class ContactForm(forms.Form):
    phone = forms.RegexField(
        label="Téléphone",
        required=False,
        regex=r"^\s*(\+33\s?|0)[1-9](\s?\.?-?[0-9]{2}){4}\s*$",
        help_text="Facultatif. Par exemple 06 12 34 56 78.",
        error_messages={"invalid": "Saisissez un numéro de téléphone français, par exemple 06 12 34 56 78."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    address_line1 = forms.CharField(
        label="Adresse", max_length=120, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_line2 = forms.CharField(
        label="Complément d'adresse",
        max_length=120,
        required=False,
        help_text="Facultatif : bâtiment, étage, lieu-dit…",
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^\s*[0-9]{5}\s*$",
        error_messages={"invalid": "Le code postal comporte 5 chiffres."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(
        label="Commune", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )

    def clean_phone(self):
        return "".join(c for c in self.cleaned_data["phone"] if c.isdigit() or c == "+")

    def clean_postal_code(self):
        return self.cleaned_data["postal_code"].strip()


class LoginCodeForm(ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code reçu par courriel"
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "placeholder": ""})


class InsuredAdminForm(forms.ModelForm):
    """The back office's insured form: a family situation comes with its date, never a future one."""

    identity_reason = forms.CharField(
        label="Motif de la modification d'identité",
        required=False,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire si vous modifiez le NIR, un nom, les prénoms, la date de naissance "
        "ou le sexe. L'assuré en est informé (courriel et messagerie).",
    )

    class Meta:
        model = Insured
        # The admin adds the fields of its fieldsets; these are the ones clean() checks.
        fields = ["family_situation", "family_situation_since"]

    def identity_changes(self) -> dict:
        from .services.register import IDENTITY_FIELDS

        if self.instance.pk is None:
            return {}
        return {
            f: self.cleaned_data[f]
            for f in IDENTITY_FIELDS
            if f in self.changed_data and f in self.cleaned_data
        }

    def clean(self):
        data = super().clean()
        if self.identity_changes() and not (data.get("identity_reason") or "").strip():
            self.add_error("identity_reason", "Indiquez le motif de la modification d'identité.")
        situation, since = data.get("family_situation"), data.get("family_situation_since")
        if situation and not since:
            self.add_error("family_situation_since", "Indiquez depuis quand dure cette situation.")
        if since and since > timezone.localdate():
            self.add_error("family_situation_since", "Cette date est dans le futur.")
        if since and not situation:
            self.add_error("family_situation", "Choisissez la situation familiale.")
        return data
