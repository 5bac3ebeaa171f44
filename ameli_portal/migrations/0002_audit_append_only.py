"""The audit trail becomes append-only in the database itself, and keeps old and new values.

Like the ledger (reimbursements 0002), a trigger refuses any UPDATE or DELETE of a row,
whoever writes: the ORM, a raw query, a person with database rights short of the owner.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


PG_FORWARD = """
CREATE FUNCTION audit_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON ameli_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_immutable();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_no_update_delete ON ameli_portal_auditevent;
DROP FUNCTION IF EXISTS audit_event_immutable();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON ameli_portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON ameli_portal_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
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

    dependencies = [
        ('ameli_portal', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='changes',
            field=models.JSONField(blank=True, default=dict, verbose_name='valeurs'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agent'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='object_id',
            field=models.CharField(blank=True, max_length=64, verbose_name='identifiant'),
        ),
        # After the schema changes: SQLite rebuilds a table to alter it, which drops triggers.
        migrations.RunPython(forward, backward),
    ]
