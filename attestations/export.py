"""The list of the person's documents (the PDFs stay downloadable from « Mes attestations »)."""

from accounts.data_export import rows

from .models import Document, MonthlyStatement


def export(insured) -> dict:
    return {
        "documents": rows(
            Document.objects.filter(owner=insured), "owner", "file", "letter", "verification_code"
        ),
        "monthly_statements": rows(MonthlyStatement.objects.filter(owner=insured), "owner"),
    }
