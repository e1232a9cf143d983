"""event edits, holidays, venue sharing: the office's closed days, an event's "shares the
room" mark, and what a weekly schedule repeats when copied (places, booking cutoff) and
its cancellation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:25:08.727517

Only new tables and new columns with constant defaults: on SQLite these are plain ``ALTER
TABLE … ADD COLUMN`` (and ``DROP COLUMN`` going back), so no table that others refer to is
rebuilt.
"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('closed_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_closed_days_last_not_before_first')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_closed_days_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days'))
    )
    op.create_index(op.f('ix_closed_days_first_day'), 'closed_days', ['first_day'], unique=False)

    op.add_column('events', sa.Column('shares_room', sa.Boolean(), server_default='0', nullable=False))

    op.add_column('weekly_schedules', sa.Column('capacity', sa.Integer(), server_default='0', nullable=False))
    op.add_column('weekly_schedules', sa.Column('booking_cutoff_minutes', sa.Integer(), server_default='0', nullable=False))
    op.add_column('weekly_schedules', sa.Column('cancelled_at', models.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('weekly_schedules', sa.Column('cancel_reason', sa.String(length=200), server_default='', nullable=False))
    _fill_schedule_places()


def _fill_schedule_places():
    """Schedules laid out before this revision get the places and booking cutoff of their
    first event, so copying one to a new term repeats them."""
    connection = op.get_bind()
    events = sa.table('events', sa.column('id'), sa.column('seat_quota_id'),
                      sa.column('starts_at', models.types.UTCDateTime()),
                      sa.column('booking_closes_at', models.types.UTCDateTime()))
    quotas = sa.table('quotas', sa.column('id'), sa.column('capacity'))
    links = sa.table('weekly_schedule_events', sa.column('event_id'), sa.column('schedule_id'))
    schedules = sa.table('weekly_schedules', sa.column('id'), sa.column('capacity'),
                         sa.column('booking_cutoff_minutes'))
    rows = connection.execute(
        sa.select(links.c.schedule_id, quotas.c.capacity, events.c.starts_at, events.c.booking_closes_at)
        .select_from(links.join(events, events.c.id == links.c.event_id).join(quotas, quotas.c.id == events.c.seat_quota_id))
        .order_by(links.c.schedule_id, events.c.starts_at)
    ).all()
    done = set()
    for schedule_id, capacity, starts_at, closes_at in rows:
        if schedule_id in done:
            continue
        done.add(schedule_id)
        minutes = max(int((starts_at - closes_at).total_seconds() // 60), 0)
        connection.execute(
            sa.update(schedules).where(schedules.c.id == schedule_id)
            .values(capacity=capacity, booking_cutoff_minutes=minutes)
        )


def downgrade():
    op.drop_column('weekly_schedules', 'cancel_reason')
    op.drop_column('weekly_schedules', 'cancelled_at')
    op.drop_column('weekly_schedules', 'booking_cutoff_minutes')
    op.drop_column('weekly_schedules', 'capacity')
    op.drop_column('events', 'shares_room')
    op.drop_index(op.f('ix_closed_days_first_day'), table_name='closed_days')
    op.drop_table('closed_days')
