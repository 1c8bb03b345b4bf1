"""participant feed salt: the secret of the personal calendar feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00

Existing participants get a random salt each; then the column becomes NOT NULL.
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_salt', sa.String(length=64), nullable=True))

    participant = sa.table('participant', sa.column('id', sa.Integer),
                           sa.column('feed_salt', sa.String(64)))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.select(participant.c.id))]
    for participant_id in ids:
        connection.execute(participant.update().where(participant.c.id == participant_id)
                           .values(feed_salt=secrets.token_hex(16)))

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.alter_column('feed_salt', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('feed_salt')
