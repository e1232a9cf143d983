"""Feed versions, and the indexes the benchmark showed missing.

- ``feed_versions``: counters every commit raises for the calendar feeds it changes, so a
  feed's revalidation is answered without building it (services/feed_cache.py).
- ``ix_bookings_event_id``: a roster read every booking of the table to find an event's.
- ``ix_events_program_ends``: the upcoming-lecture list walked a program's whole history
  to find the events not over yet.

Only a new table and new indexes: nothing is rebuilt on SQLite.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:31:20.670682
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'feed_versions',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_feed_versions')),
    )
    op.create_index(op.f('ix_bookings_event_id'), 'bookings', ['event_id'], unique=False)
    op.create_index('ix_events_program_ends', 'events', ['program_id', 'ends_at'], unique=False)


def downgrade():
    op.drop_index('ix_events_program_ends', table_name='events')
    op.drop_index(op.f('ix_bookings_event_id'), table_name='bookings')
    op.drop_table('feed_versions')
