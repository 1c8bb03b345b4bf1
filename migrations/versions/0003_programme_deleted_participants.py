"""programme deleted participants: the cap keeps counting people whose data was deleted

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00

The retention purge (``events.services.retention``) deletes registrations some
time after their workshop. The programme's cap counts distinct people holding a
seat in any of its workshops, past ones included; this counter keeps those
people counted once their rows are gone.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_participants', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('deleted_participants')
