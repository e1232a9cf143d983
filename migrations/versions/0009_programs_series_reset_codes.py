"""program settings and archiving, retired topic series, password reset codes

Revision ID: 0009
Revises: 0012
Create Date: 2026-12-01 10:12:10.447182

Only new tables and added columns, so SQLite rebuilds no table on the way up; the way
down drops the columns with ALTER TABLE … DROP COLUMN (SQLite 3.35+), which rebuilds
nothing either — a rebuilt ``programs`` table would cascade deletes into its events.
"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0012'
branch_labels = None
depends_on = None

LIVE_CODE = 'used_at IS NULL AND voided_at IS NULL'


def upgrade():
    op.create_table('password_reset_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_password_reset_codes_failed_attempts_not_negative')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_password_reset_codes_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_codes'))
    )
    op.create_index(op.f('ix_password_reset_codes_user_id'), 'password_reset_codes', ['user_id'], unique=False)
    op.create_index('uq_password_reset_codes_live_per_person', 'password_reset_codes', ['user_id'], unique=True,
                    sqlite_where=sa.text(LIVE_CODE), postgresql_where=sa.text(LIVE_CODE))

    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cover_colour', sa.String(length=7), server_default='', nullable=False))
        batch_op.add_column(sa.Column('booking_opens_days_before', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('booking_closes_minutes_before', sa.Integer(), server_default='60', nullable=False))
        batch_op.add_column(sa.Column('archived_at', models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('series', 'retired_at')
    for column in ('archived_at', 'booking_closes_minutes_before', 'booking_opens_days_before',
                   'cover_colour', 'contact'):
        op.drop_column('programs', column)

    op.drop_index('uq_password_reset_codes_live_per_person', table_name='password_reset_codes')
    op.drop_index(op.f('ix_password_reset_codes_user_id'), table_name='password_reset_codes')
    op.drop_table('password_reset_codes')
