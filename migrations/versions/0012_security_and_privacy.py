"""security and privacy: logins per device, throttle counters, random ticket numbers,
opaque calendar UIDs, erased children's names, deleted accounts

The login_failures brake gives way to the throttles (security/throttles.py). Existing
events get a random calendar UID each, existing bookings a random ticket number (the old
ones were a public formula of the booking id).

Revision ID: 0012
Revises: 0014
Create Date: 2026-12-01 10:18:46.516308

"""
import secrets
import uuid

from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counters'))
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_expires_at'), ['expires_at'], unique=False)

    op.create_table('logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logins')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_logins_token_hash'))
    )
    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logins_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_phone_failed_at'))

    op.drop_table('login_failures')
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymized_at', models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=36), nullable=True))
        batch_op.create_index('uq_events_calendar_uid', ['calendar_uid'], unique=True)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', models.types.UTCDateTime(timezone=True), nullable=True))

    _give_events_calendar_uids()
    _give_bookings_random_ticket_codes()


def _give_events_calendar_uids():
    connection = op.get_bind()
    events = sa.table('events', sa.column('id', sa.Integer), sa.column('calendar_uid', sa.String))
    ids = connection.execute(sa.select(events.c.id).where(events.c.calendar_uid.is_(None))).scalars().all()
    for event_id in ids:
        connection.execute(events.update().where(events.c.id == event_id).values(calendar_uid=str(uuid.uuid4())))


def _give_bookings_random_ticket_codes():
    connection = op.get_bind()
    bookings = sa.table('bookings', sa.column('id', sa.Integer), sa.column('ticket_code', sa.String))
    ids = connection.execute(sa.select(bookings.c.id).order_by(bookings.c.id)).scalars().all()
    # Clear first, so a new code never collides with an old one still waiting its turn.
    connection.execute(bookings.update().values(ticket_code=None))
    used = set()
    for booking_id in ids:
        code = f"{secrets.randbelow(10**8):08d}"
        while code in used:
            code = f"{secrets.randbelow(10**8):08d}"
        used.add(code)
        connection.execute(bookings.update().where(bookings.c.id == booking_id).values(ticket_code=code))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('uq_events_calendar_uid')
        batch_op.drop_column('calendar_uid')

    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_column('anonymized_at')

    op.create_table('login_failures',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('phone', sa.VARCHAR(length=20), nullable=False),
    sa.Column('failed_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_phone_failed_at'), ['phone', 'failed_at'], unique=False)

    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_logins_user_id'))

    op.drop_table('logins')
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_expires_at'))

    op.drop_table('throttle_counters')
