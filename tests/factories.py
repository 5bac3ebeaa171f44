from datetime import date

import factory
from allauth.account.models import EmailAddress
from django.conf import settings

from accounts.models import Beneficiary, Caisse, CoveragePeriod, Insured, User
from accounts.nir import generate_nir

PASSWORD = "Motdepasse-Test-9"


class CaisseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caisse
        django_get_or_create = ("code",)

    code = "999"
    name = "Caisse de test"
    address = "1 rue du Test, 99999 Testville"


def _nir(n: int) -> str:
    return generate_nir(
        sex=1 + n % 2, year=1960 + n % 40, month=1 + n % 12, department="75", commune="056", order=1 + n % 999
    ).number


class InsuredFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insured
        skip_postgeneration_save = True

    caisse = factory.SubFactory(CaisseFactory)
    nir = factory.Sequence(_nir)
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_names = "Claude"
    birth_date = date(1980, 5, 17)
    sex = "1"
    address_line1 = "3 rue des Essais"
    postal_code = "75010"
    city = "Paris"
    email = factory.Sequence(lambda n: f"assure{n}@exemple.test")
    coverage = factory.RelatedFactory("tests.factories.CoverageFactory", factory_related_name="insured")


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoveragePeriod

    regime = "general"
    start = date(2015, 1, 1)
    end = None


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    insured = factory.SubFactory(InsuredFactory)
    relationship = "enfant"
    last_name = factory.SelfAttribute("insured.last_name")
    first_names = "Sacha"
    birth_date = date(2016, 2, 3)
    sex = "2"


class UserFactory(factory.django.DjangoModelFactory):
    """An insured person's account, email confirmed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    insured = factory.SubFactory(InsuredFactory)
    username = factory.SelfAttribute("insured.nir")
    email = factory.SelfAttribute("insured.email")
    # Accepted the terms in force when the account was made (a version bump asks again).
    terms_version = factory.LazyFunction(lambda: settings.TERMS_VERSION)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.Sequence(lambda n: f"agent{n}@caisse.test")
    is_staff = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reimbursements.Professional"
        django_get_or_create = ("rpps",)

    rpps = factory.Sequence(lambda n: f"{10000000000 + n}")
    name = factory.Sequence(lambda n: f"Dr Médecin {n}")
    kind = "doctor"
    specialty = "general_practice"
    sector = "1"
    optam = False
    city = "Paris"


class CareSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reimbursements.CareSheet"

    insured = factory.SubFactory(InsuredFactory)
    professional = factory.SubFactory(ProfessionalFactory)
    received_on = date(2026, 3, 12)


class CareActFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reimbursements.CareAct"

    sheet = factory.SubFactory(CareSheetFactory)
    act_code = "G"
    label = "Consultation"
    care_date = date(2026, 3, 10)
    kind = "doctor"
    charged = factory.LazyFunction(lambda: __import__("decimal").Decimal("30.00"))


# --- accounts: health cards (issue #6) -------------------------------------------------


class HealthCardFactory(factory.django.DjangoModelFactory):
    """A carte Vitale in service of the insured person (set beneficiary= for a dependant's)."""

    class Meta:
        model = "accounts.HealthCard"

    insured = factory.SubFactory(InsuredFactory)
    beneficiary = None
    kind = "vitale"
    status = "valid"
    order_reason = "first"
    valid_from = date(2020, 9, 1)


class HealthCardEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.HealthCardEvent"

    card = factory.SubFactory(HealthCardFactory)
    status = factory.SelfAttribute("card.status")
    note = "Carte fabriquée et envoyée à l'adresse postale."


# --- end accounts: health cards ---------------------------------------------------------


# ---- messaging (Ma messagerie) ---------------------------------------------------------------


class ThreadFactory(factory.django.DjangoModelFactory):
    """A conversation opened by the insured person; add messages with MessageFactory."""

    class Meta:
        model = "messaging.Thread"

    insured = factory.SubFactory(InsuredFactory)
    topic = "remboursements"
    subject = factory.Sequence(lambda n: f"Question numéro {n}")
    kind = "conversation"
    status = "open"
    # An import here would sit mid-module, below other helpers' blocks.
    last_message_at = factory.LazyFunction(
        lambda: __import__("django.utils.timezone", fromlist=["now"]).now()
    )


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.Message"

    thread = factory.SubFactory(ThreadFactory)
    author_kind = "caisse"
    body = "Bonjour, voici notre réponse."


# ---- end messaging ---------------------------------------------------------------------------


# --- requests_app (démarches) -------------------------------------------------------
class DemarcheFactory(factory.django.DjangoModelFactory):
    """A request (démarche) as filed, without attachments; use requests_app.services to move it."""

    class Meta:
        model = "requests_app.Request"

    insured = factory.SubFactory(InsuredFactory)
    kind = "prestation"
    status = "deposee"
    data = factory.LazyFunction(lambda: {"equipment": "Fauteuil roulant", "amount": "1250.00", "comment": ""})
    expected_by = date(2030, 1, 15)


# --- end requests_app ---------------------------------------------------------------
