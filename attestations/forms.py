"""The relevé de remboursements request: a period of payment dates, or last month."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from reimbursements.queries import HISTORY_MONTHS, history_start


def last_month(today: date) -> tuple[date, date]:
    """The previous calendar month, first to last day."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class StatementForm(forms.Form):
    """``cleaned_data["period"]`` is (start, end) of payment dates; both within the history."""

    start = forms.DateField(label="Du", required=False, widget=DateInput(),
                            error_messages={"invalid": "Saisissez une date valide, par exemple 01/10/2026."})
    end = forms.DateField(label="Au", required=False, widget=DateInput(),
                          error_messages={"invalid": "Saisissez une date valide, par exemple 31/10/2026."})

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
                self.add_error(name, "Cette date est dans le futur : choisissez au plus tard "
                                     f"le {self.today:%d/%m/%Y}.")
            elif value < self.earliest:
                self.add_error(name, f"Vos paiements sont consultables sur {HISTORY_MONTHS} mois : "
                                     f"choisissez une date à partir du {self.earliest:%d/%m/%Y}.")
        if not self.errors and start > end:
            self.add_error("end", "La date de fin doit être postérieure ou égale à la date de début.")
        if not self.errors:
            data["period"] = (start, end)
        return data
