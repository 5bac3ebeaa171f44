"""The database itself guards the ledger: posted entries never change, journals balance.

(``%%`` below: the statements go through the driver's placeholder parsing.)
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION ledger_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are immutable: post a reversing journal instead';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_no_update_delete
    BEFORE UPDATE OR DELETE ON reimbursements_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_immutable();

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

-- Checked at commit, once every leg of the journal is written.
CREATE CONSTRAINT TRIGGER ledger_journal_balances
    AFTER INSERT ON reimbursements_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_balanced();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_journal_balances ON reimbursements_ledgerentry;
DROP FUNCTION IF EXISTS ledger_journal_balanced();
DROP TRIGGER IF EXISTS ledger_entry_no_update_delete ON reimbursements_ledgerentry;
DROP FUNCTION IF EXISTS ledger_entry_immutable();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON reimbursements_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;""",
    """CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON reimbursements_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update;",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"postgresql": [PG_BACKWARD], "sqlite": SQLITE_BACKWARD}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reimbursements", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
