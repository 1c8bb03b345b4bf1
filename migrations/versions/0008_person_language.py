"""person language: each registration (and the person, as the last choice) keeps the
language its e-mails and calendar files are written in

Existing rows get German, the language every mail was written in until now. The
contribution table has kept its submitter's language since 0005 (``contribution.language``);
it gets the same server default here, so that rows written by hand cannot lack it. Each
outbox message notes the language it is written in, for its Content-Language header.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='de',
                                      nullable=False))
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='de',
                                      nullable=False))
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=10),
                              existing_nullable=False, server_default='de')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='de',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=10),
                              existing_nullable=False, server_default=None)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('language')
