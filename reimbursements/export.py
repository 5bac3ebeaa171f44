"""Care and money: the reimbursements' part of « Télécharger mes données »."""

from accounts.data_export import rows

from .models import CareAct, CareSheet, DailyAllowance, Payment, Reversal, Settlement, Vaccination


def export(insured) -> dict:
    return {
        "care_sheets": rows(CareSheet.objects.filter(insured=insured), "insured"),
        "care_acts": rows(CareAct.objects.filter(sheet__insured=insured)),
        "settlements": rows(Settlement.objects.filter(insured=insured), "insured"),
        "reversals": rows(Reversal.objects.filter(settlement__insured=insured)),
        # Only the payments made to the person: a payment to a professional groups other patients.
        "payments": rows(Payment.objects.filter(insured=insured), "insured", "professional"),
        "daily_allowances": rows(DailyAllowance.objects.filter(insured=insured), "insured"),
        "vaccinations": rows(Vaccination.objects.filter(insured=insured), "insured"),
    }
