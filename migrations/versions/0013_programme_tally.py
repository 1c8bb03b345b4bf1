"""programme tally: registrations per programme and status, kept by triggers

The attendee list and the organiser API show how many registrations of the programme are
in each status. Summed from ``registration_tally`` (one row per workshop and status,
migration 0011) that still grew with the number of workshops: 5,000 workshops were
11 ms on SQLite for every page of the organiser API's list (issue 15: "paginated pages
stay flat").

``programme_tally`` holds one row per programme and status. ``registration_tally`` learns
its workshop's programme (``programme_id``, filled when its row is made), and triggers on
``registration_tally`` carry every change of a number into ``programme_tally``: so the
two always agree, whatever changed a registration (the same triggers of 0011 as before,
now filling ``programme_id``). A workshop moved to another programme takes its numbers
along (a trigger on ``workshop``). Deleting a workshop or a programme needs nothing more:
only ``UPDATE``s run on the way down (no row is inserted for a programme that is being
deleted), and the rows go with their programme.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 08:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_STATUS = sa.Enum('pending', 'confirmed', 'waitlisted', 'cancelled', 'expired',
                  name='registration_status', native_enum=False, length=20)

#: The registration triggers of 0011, now with the workshop's programme in a new row.
_ADD = """INSERT INTO registration_tally (workshop_id, programme_id, status, number)
            SELECT NEW.workshop_id, workshop.programme_id, NEW.status, 1 FROM workshop
            WHERE workshop.id = NEW.workshop_id
            ON CONFLICT (workshop_id, status)
            DO UPDATE SET number = registration_tally.number + 1;"""
_REMOVE = """UPDATE registration_tally SET number = number - 1
            WHERE workshop_id = OLD.workshop_id AND status = OLD.status;"""

#: ``registration_tally`` → ``programme_tally``: a new row adds its number (the programme
#: exists: its workshop does); a changed number or programme moves the difference; a
#: deleted row takes its number away. Only the insert may make a ``programme_tally`` row.
_TALLY_ADD = """INSERT INTO programme_tally (programme_id, status, number)
            VALUES (NEW.programme_id, NEW.status, NEW.number)
            ON CONFLICT (programme_id, status)
            DO UPDATE SET number = programme_tally.number + excluded.number;"""
_TALLY_REMOVE = """UPDATE programme_tally SET number = number - OLD.number
            WHERE programme_id = OLD.programme_id AND status = OLD.status;"""
_TALLY_CHANGE = """UPDATE programme_tally SET number = number + NEW.number - OLD.number
            WHERE programme_id = NEW.programme_id AND status = NEW.status;"""
_WORKSHOP_MOVED = """UPDATE registration_tally SET programme_id = NEW.programme_id
            WHERE workshop_id = NEW.id;"""

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION registration_tally_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_REMOVE}
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_ADD}
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE FUNCTION programme_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_TALLY_ADD}
        ELSIF TG_OP = 'DELETE' THEN
            {_TALLY_REMOVE}
        ELSIF OLD.programme_id = NEW.programme_id AND OLD.status = NEW.status THEN
            {_TALLY_CHANGE}
        ELSE
            {_TALLY_REMOVE}
            {_TALLY_ADD}
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER programme_tally_count AFTER INSERT OR UPDATE OR DELETE
    ON registration_tally FOR EACH ROW EXECUTE FUNCTION programme_tally_count()
    """,
    f"""
    CREATE FUNCTION workshop_programme_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_WORKSHOP_MOVED}
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER workshop_programme_moved AFTER UPDATE OF programme_id ON workshop
    FOR EACH ROW WHEN (OLD.programme_id IS DISTINCT FROM NEW.programme_id)
    EXECUTE FUNCTION workshop_programme_moved()
    """,
]

#: SQLite rebuilds ``registration_tally`` for the NOT NULL column, and refuses while a
#: trigger names a table that is missing for a moment: the three of 0011 go first.
SQLITE_BEFORE = [f"DROP TRIGGER registration_tally_{name}"
                 for name in ("insert", "delete", "update")]

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
    f"""
    CREATE TRIGGER programme_tally_insert AFTER INSERT ON registration_tally
    BEGIN
        {_TALLY_ADD}
    END
    """,
    f"""
    CREATE TRIGGER programme_tally_delete AFTER DELETE ON registration_tally
    BEGIN
        {_TALLY_REMOVE}
    END
    """,
    f"""
    CREATE TRIGGER programme_tally_change AFTER UPDATE ON registration_tally
    WHEN OLD.programme_id = NEW.programme_id AND OLD.status = NEW.status
    BEGIN
        {_TALLY_CHANGE}
    END
    """,
    f"""
    CREATE TRIGGER programme_tally_move AFTER UPDATE ON registration_tally
    WHEN OLD.programme_id IS NOT NEW.programme_id OR OLD.status IS NOT NEW.status
    BEGIN
        {_TALLY_REMOVE}
        {_TALLY_ADD}
    END
    """,
    f"""
    CREATE TRIGGER workshop_programme_moved AFTER UPDATE OF programme_id ON workshop
    WHEN OLD.programme_id IS NOT NEW.programme_id
    BEGIN
        {_WORKSHOP_MOVED}
    END
    """,
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in [] if postgresql else SQLITE_BEFORE:
        op.execute(statement)
    with op.batch_alter_table('registration_tally') as batch:
        batch.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
    op.execute("UPDATE registration_tally SET programme_id = (SELECT programme_id "
               "FROM workshop WHERE workshop.id = registration_tally.workshop_id)")
    with op.batch_alter_table('registration_tally') as batch:
        batch.alter_column('programme_id', existing_type=sa.Integer(), nullable=False)
    op.create_table(
        'programme_tally',
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('status', _STATUS, nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'],
                                name=op.f('fk_programme_tally_programme_id_programme'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('programme_id', 'status', name=op.f('pk_programme_tally')),
    )
    op.execute("INSERT INTO programme_tally (programme_id, status, number) "
               "SELECT programme_id, status, sum(number) FROM registration_tally "
               "GROUP BY programme_id, status")
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


#: The registration triggers' insert as 0011 wrote it (no programme).
_ADD_0011 = """INSERT INTO registration_tally (workshop_id, status, number)
            VALUES (NEW.workshop_id, NEW.status, 1)
            ON CONFLICT (workshop_id, status)
            DO UPDATE SET number = registration_tally.number + 1;"""


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER workshop_programme_moved ON workshop")
        op.execute("DROP FUNCTION workshop_programme_moved()")
        op.execute("DROP TRIGGER programme_tally_count ON registration_tally")
        op.execute("DROP FUNCTION programme_tally_count()")
        op.execute(POSTGRESQL[0].replace(_ADD, _ADD_0011))
    else:
        op.execute("DROP TRIGGER workshop_programme_moved")
        for name in ("insert", "delete", "change", "move"):
            op.execute(f"DROP TRIGGER programme_tally_{name}")
        for statement in SQLITE_BEFORE:
            op.execute(statement)
    op.drop_table('programme_tally')
    with op.batch_alter_table('registration_tally') as batch:
        batch.drop_column('programme_id')
    if not postgresql:
        for statement in SQLITE[:3]:
            op.execute(statement.replace(_ADD, _ADD_0011))
