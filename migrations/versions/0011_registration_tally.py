"""registration tally: registrations per workshop and status, kept by triggers

The attendee list shows how many registrations of the programme (or workshop) are in
each status. Counted from the registrations themselves that grew with them: at 200,000
registrations ~50 ms on SQLite and ~80 ms on PostgreSQL for every page of the list, the
whole growth of a page that is otherwise read from an index and stops after 50 rows.

``registration_tally`` holds one row per workshop and status. Triggers on
``registration`` keep it: +1 on insert, -1 on delete, -1/+1 when the status (or the
workshop) changes; in the same transaction as the change, whatever made it (the seat
services, the rush's procedure, the organisers, retention, a bulk import). A change of
seats happens under the programme lock already, so the tally's row locks add no waiting
to the registration rush. Filled from the registrations here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_STATUS = sa.Enum('pending', 'confirmed', 'waitlisted', 'cancelled', 'expired',
                  name='registration_status', native_enum=False, length=20)

POSTGRESQL = [
    """
    CREATE FUNCTION registration_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE registration_tally SET number = number - 1
            WHERE workshop_id = OLD.workshop_id AND status = OLD.status;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO registration_tally (workshop_id, status, number)
            VALUES (NEW.workshop_id, NEW.status, 1)
            ON CONFLICT (workshop_id, status)
            DO UPDATE SET number = registration_tally.number + 1;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER registration_tally_insert_delete AFTER INSERT OR DELETE ON registration
    FOR EACH ROW EXECUTE FUNCTION registration_tally_count()
    """,
    """
    CREATE TRIGGER registration_tally_update AFTER UPDATE OF status, workshop_id
    ON registration FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.workshop_id <> NEW.workshop_id)
    EXECUTE FUNCTION registration_tally_count()
    """,
]

_ADD = """INSERT INTO registration_tally (workshop_id, status, number)
            VALUES (NEW.workshop_id, NEW.status, 1)
            ON CONFLICT (workshop_id, status) DO UPDATE SET number = number + 1;"""
_REMOVE = """UPDATE registration_tally SET number = number - 1
            WHERE workshop_id = OLD.workshop_id AND status = OLD.status;"""

SQLITE = [
    f"""
    CREATE TRIGGER registration_tally_insert AFTER INSERT ON registration
    BEGIN
        {_ADD}
    END
    """,
    f"""
    CREATE TRIGGER registration_tally_delete AFTER DELETE ON registration
    BEGIN
        {_REMOVE}
    END
    """,
    f"""
    CREATE TRIGGER registration_tally_update AFTER UPDATE OF status, workshop_id
    ON registration
    WHEN OLD.status IS NOT NEW.status OR OLD.workshop_id IS NOT NEW.workshop_id
    BEGIN
        {_REMOVE}
        {_ADD}
    END
    """,
]


def upgrade():
    op.create_table(
        'registration_tally',
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('status', _STATUS, nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'],
                                name=op.f('fk_registration_tally_workshop_id_workshop'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workshop_id', 'status', name=op.f('pk_registration_tally')),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute("INSERT INTO registration_tally (workshop_id, status, number) "
               "SELECT workshop_id, status, count(*) FROM registration "
               "GROUP BY workshop_id, status")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER registration_tally_update ON registration")
        op.execute("DROP TRIGGER registration_tally_insert_delete ON registration")
        op.execute("DROP FUNCTION registration_tally_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER registration_tally_{name}")
    op.drop_table('registration_tally')
