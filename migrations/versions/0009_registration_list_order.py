"""registration list order: an index on (requested_at, id, workshop_id), so that a page
of the programme's attendee list is read in order instead of sorting every registration

The back office's list of every registration in the programme is sorted by the time of
registration (ties by id). Without an index on that order each page sorted all of them:
at 5,000 workshops and 200,000 registrations about half a second per page, on page 1 as
on page 40. With it the database walks the index to the page and stops there; the
workshop id in the index lets it check the programme without reading the row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_requested', ['requested_at', 'id', 'workshop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_requested')
