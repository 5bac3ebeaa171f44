"""The import's tables draw ids from a cache (the debt is read from the ledger, builders.debts).

The import draws the ids of a batch's rows (about seven a line) with nextval, then
writes them with COPY. CACHE 1000: each connection takes its ids a thousand at a time
(one sequence update instead of a thousand; two import workers do not queue on the
sequence). The ids of a connection that ends unused are skipped: they are bigints,
internal (the public identifiers are UUIDs), and nothing reads time from their order.
"""

from django.db import migrations, models

TABLES = ("reimbursements_caresheet", "reimbursements_careact", "reimbursements_settlement",
          "reimbursements_journal", "reimbursements_ledgerentry")


def cache(size):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in TABLES:
                schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET CACHE {size}")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_postal_letter_welcome_kind'),
        ('reimbursements', '0013_importrunpart'),
    ]

    operations = [
        migrations.RunPython(cache(1000), cache(1)),
    ]
