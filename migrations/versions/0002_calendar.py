"""calendar feeds: the hashed tokens of personal feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:14:40.407236

"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_tokens'))
    )
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_tokens_token_hash'), ['token_hash'], unique=True)


def downgrade():
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_tokens_token_hash'))

    op.drop_table('calendar_tokens')
