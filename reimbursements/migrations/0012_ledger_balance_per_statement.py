"""The balanced-journal check, once per statement and set-wise instead of once per entry.

Before: a deferred row trigger, queued for every ledger entry and run at commit,
each run summing its journal's entries again (3.5 entries a journal: 3.5 sums of
the same journal). An import batch of 2,000 lines queued 7,000 of them.

Now: a statement-level trigger reads the statement's new entries (a transition
table) and refuses the statement if any journal among them does not add up to
zero. The guarantee is the same, checked earlier: entries can be neither updated
nor deleted (``ledger_entry_no_update_delete``), so a journal's total only moves
by the entries inserted into it, and every statement that inserts must leave
each of its journals balanced; hence every journal balances at commit. It is
also stricter: the legs of a journal go in one statement (``bulk_create``,
``COPY``), as every writer of the ledger does.

(``%%`` below: the statements go through the driver's placeholder parsing.)
"""

from django.db import migrations

PG_FORWARD = """
DROP TRIGGER IF EXISTS ledger_journal_balances ON reimbursements_ledgerentry;
DROP FUNCTION IF EXISTS ledger_journal_balanced();

CREATE FUNCTION ledger_journals_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
    SELECT journal_id, SUM(amount) AS total INTO bad
      FROM new_entries GROUP BY journal_id HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal %% does not balance (%%)', bad.journal_id, bad.total;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journals_balance
    AFTER INSERT ON reimbursements_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_journals_balanced();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_journals_balance ON reimbursements_ledgerentry;
DROP FUNCTION IF EXISTS ledger_journals_balanced();

CREATE FUNCTION ledger_journal_balanced() RETURNS trigger AS $$
DECLARE total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM reimbursements_ledgerentry WHERE journal_id = NEW.journal_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'journal %% does not balance (%%)', NEW.journal_id, total;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_journal_balances
    AFTER INSERT ON reimbursements_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reimbursements", "0011_figures_month_backfill")]
    operations = [migrations.RunPython(forward, backward)]
