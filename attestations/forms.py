"""The relevé de remboursements request: a period of payment dates, or last month."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from ameli_portal.idempotency import IdempotentForm
from reimbursements.queries import HISTORY_MONTHS, history_start


def last_month(today: date) -> tuple[date, date]:
    """The previous calendar month, first to last day."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RightsForm(IdempotentForm):
    """The attestation de droits: a button, and the token that makes it one document."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_droits_%s", **kwargs)


class StatementForm(IdempotentForm):
    """``cleaned_data["period"]`` is (start, end) of payment dates; both within the history."""

    start = forms.DateField(
        label="Du",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Saisissez une date valide, par exemple 01/10/2026."},
    )
    end = forms.DateField(
        label="Au",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Saisissez une date valide, par exemple 31/10/2026."},
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.earliest = history_start(self.today)
        for name in ("start", "end"):
            attrs = self.fields[name].widget.attrs
            attrs.update(min=self.earliest.isoformat(), max=self.today.isoformat())
            attrs["aria-describedby"] = "statement-help"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name, value in (("start", start), ("end", end)):
            if name in self.errors:
                continue
            if value is None:
                self.add_error(name, "Indiquez la date de " + ("début." if name == "start" else "fin."))
            elif value > self.today:
                self.add_error(
                    name, f"Cette date est dans le futur : choisissez au plus tard le {self.today:%d/%m/%Y}."
                )
            elif value < self.earliest:
                self.add_error(
                    name,
                    f"Vos paiements sont consultables sur {HISTORY_MONTHS} mois : "
                    f"choisissez une date à partir du {self.earliest:%d/%m/%Y}.",
                )
        if not self.errors and start > end:
            self.add_error("end", "La date de fin doit être postérieure ou égale à la date de début.")
        if not self.errors:
            data["period"] = (start, end)
        return data


def last_twelve_months(today: date) -> tuple[date, date]:
    """The twelve months up to today: same day a year ago (+1) to today."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + timedelta(days=1), today


class AllowanceForm(StatementForm):
    """The IJ attestation: a period of payment dates, by default the last twelve months."""

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, today=today, **kwargs)
        start, end = last_twelve_months(self.today)
        self.fields["start"].initial, self.fields["end"].initial = start, end
        for name in ("start", "end"):
            self.fields[name].widget.attrs["aria-describedby"] = "allowance-help"
            # Another id than the relevé's fields: both forms are on the same page.
        self.auto_id = "id_ij_%s"


TAX_YEARS = 3


class TaxForm(IdempotentForm):
    """The relevé fiscal: a past calendar year, by default last year."""

    year = forms.TypedChoiceField(label="Année des revenus", coerce=int)

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, auto_id="id_fiscal_%s", **kwargs)
        self.today = today or timezone.localdate()
        years = [self.today.year - n for n in range(1, TAX_YEARS + 1)]
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["year"].initial = years[0]

    def clean(self):
        data = super().clean()
        if "year" in data:
            data["period"] = (date(data["year"], 1, 1), date(data["year"], 12, 31))
        return data


class VaccinationForm(IdempotentForm):
    """The attestation de vaccination: the whole household or one person."""

    person = forms.ChoiceField(label="Pour", required=False)

    def __init__(self, *args, insured, **kwargs):
        from .allowances_vaccinations import SELF

        super().__init__(*args, auto_id="id_vaccination_%s", **kwargs)
        self.fields["person"].choices = [
            ("", "Toute la famille"),
            (SELF, f"{insured.first_names} {insured.last_name}"),
            *[
                (b.public_id.hex, f"{b.first_names} {b.last_name}")
                for b in insured.beneficiaries.order_by("birth_date", "pk")
            ],
        ]
