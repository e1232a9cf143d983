"""grids, buildings, leaders and residences; events for a group; booked on behalf;
community service, rewards and honours

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-01 10:13:28.331864

"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), server_default='', nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grids')),
    sa.UniqueConstraint('number', name=op.f('uq_grids_number'))
    )
    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('households IS NULL OR households >= 0', name=op.f('ck_buildings_households_not_negative')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_buildings_grid_id_grids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('grid_id', 'name', name='uq_buildings_grid_name')
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buildings_grid_id'), ['grid_id'], unique=False)

    op.create_table('grid_workers',
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('appointed_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_grid_workers_grid_id_grids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grid_workers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grid_id', 'user_id', name=op.f('pk_grid_workers'))
    )
    with op.batch_alter_table('grid_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_workers_user_id'), ['user_id'], unique=False)

    op.create_table('honours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('citation', sa.String(length=300), server_default='', nullable=False),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.Column('awarded_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_honours_sane_year')),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_honours_awarded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_honours_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honours')),
    sa.UniqueConstraint('user_id', 'title', 'year', name='uq_honours_user_title_year')
    )
    with op.batch_alter_table('honours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_honours_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_honours_year', ['year'], unique=False)

    op.create_table('offline_residents',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_statement', sa.String(length=300), nullable=False),
    sa.Column('consent_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_offline_residents_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['users.id'], name=op.f('fk_offline_residents_merged_into_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_offline_residents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_offline_residents'))
    )
    with op.batch_alter_table('offline_residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_residents_added_by_id'), ['added_by_id'], unique=False)

    op.create_table('reward_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=300), server_default='', nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('stock_quota_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('points > 0', name=op.f('ck_reward_items_points_positive')),
    sa.ForeignKeyConstraint(['stock_quota_id'], ['quotas.id'], name=op.f('fk_reward_items_stock_quota_id_quotas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_items')),
    sa.UniqueConstraint('stock_quota_id', name=op.f('uq_reward_items_stock_quota_id'))
    )
    op.create_table('building_leaders',
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('appointed_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_building_leaders_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_building_leaders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('building_id', 'user_id', name=op.f('pk_building_leaders'))
    )
    with op.batch_alter_table('building_leaders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_leaders_user_id'), ['user_id'], unique=False)

    op.create_table('residences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), server_default='', nullable=False),
    sa.Column('room', sa.String(length=10), server_default='', nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_residences_building_id_buildings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_residences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_residences'))
    )
    with op.batch_alter_table('residences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residences_building_id'), ['building_id'], unique=False)

    op.create_table('event_audiences',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('building_leaders', 'grid', 'troupe', name='audiencekind', native_enum=False, length=20), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'building_leaders' AND grid_id IS NULL AND program_id IS NULL) OR (kind = 'grid' AND grid_id IS NOT NULL AND program_id IS NULL) OR (kind = 'troupe' AND program_id IS NOT NULL AND grid_id IS NULL)", name=op.f('ck_event_audiences_names_its_group')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_audiences_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_event_audiences_grid_id_grids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_event_audiences_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_event_audiences_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_audiences'))
    )
    with op.batch_alter_table('event_audiences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_audiences_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_audiences_program_id'), ['program_id'], unique=False)

    op.create_table('redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'handed_over', 'cancelled', 'declined', name='redemptionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('requested_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('spend_entry_id', sa.Integer(), nullable=True),
    sa.Column('refund_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('points > 0', name=op.f('ck_redemptions_points_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_redemptions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['reward_items.id'], name=op.f('fk_redemptions_item_id_reward_items')),
    sa.ForeignKeyConstraint(['refund_entry_id'], ['service_entries.id'], name=op.f('fk_redemptions_refund_entry_id_service_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['spend_entry_id'], ['service_entries.id'], name=op.f('fk_redemptions_spend_entry_id_service_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_redemptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemptions'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemptions_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_redemptions_status_requested', ['status', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_user_id'), ['user_id'], unique=False)

    # Who booked on someone's behalf. On SQLite a batch operation would rebuild
    # ``bookings``, and dropping the old table would cascade into attendance; SQLite adds
    # a nullable column with its reference in place, so say it directly. (SQLite can't
    # read back an ON DELETE rule written this way, so the reference has none.)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE bookings ADD COLUMN booked_by_id INTEGER '
            'CONSTRAINT fk_bookings_booked_by_id_users REFERENCES users (id)'
        )
    else:
        op.add_column('bookings', sa.Column('booked_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_bookings_booked_by_id_users'), 'bookings', 'users', ['booked_by_id'], ['id'])

    op.add_column('service_entries', sa.Column('activity', sa.Enum('visit', 'helping', 'other', name='serviceactivity', native_enum=False, length=20), nullable=True))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+) rather than a batch rebuild: see upgrade().
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE service_entries DROP COLUMN activity')
        op.execute('ALTER TABLE bookings DROP COLUMN booked_by_id')
    else:
        op.drop_column('service_entries', 'activity')
        op.drop_constraint(op.f('fk_bookings_booked_by_id_users'), 'bookings', type_='foreignkey')
        op.drop_column('bookings', 'booked_by_id')

    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemptions_user_id'))
        batch_op.drop_index('ix_redemptions_status_requested')
        batch_op.drop_index(batch_op.f('ix_redemptions_item_id'))

    op.drop_table('redemptions')
    with op.batch_alter_table('event_audiences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_audiences_program_id'))
        batch_op.drop_index(batch_op.f('ix_event_audiences_grid_id'))

    op.drop_table('event_audiences')
    with op.batch_alter_table('residences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residences_building_id'))

    op.drop_table('residences')
    with op.batch_alter_table('building_leaders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_leaders_user_id'))

    op.drop_table('building_leaders')
    op.drop_table('reward_items')
    with op.batch_alter_table('offline_residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_residents_added_by_id'))

    op.drop_table('offline_residents')
    with op.batch_alter_table('honours', schema=None) as batch_op:
        batch_op.drop_index('ix_honours_year')
        batch_op.drop_index(batch_op.f('ix_honours_user_id'))

    op.drop_table('honours')
    with op.batch_alter_table('grid_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_workers_user_id'))

    op.drop_table('grid_workers')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buildings_grid_id'))

    op.drop_table('buildings')
    op.drop_table('grids')
