"""organiser list indexes: the programme's workshops by start, a workshop's registrations
by request

``GET /api/v1/organiser/registrations`` lists the programme's registrations ordered by
the workshop's start, then the time of the request, 50 to a page. Without an index in
that order each page sorted every registration of the programme (SQLite 0.34 s,
PostgreSQL 0.08 s at 200,000). With ``workshop(programme_id, starts_at, id)`` and
``registration(workshop_id, requested_at, id)`` the database walks the workshops in
order and each one's registrations in order, and stops after the page. The first index
begins with the programme, so it replaces ``ix_workshop_programme_id``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 05:10:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_programme_start', ['programme_id', 'starts_at', 'id'],
                              unique=False)
        batch_op.drop_index('ix_workshop_programme_id')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_workshop_requested',
                              ['workshop_id', 'requested_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_workshop_requested')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_programme_id', ['programme_id'], unique=False)
        batch_op.drop_index('ix_workshop_programme_start')
