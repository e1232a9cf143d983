"""Event titles read per reader: placeholders are no longer stored as text.

A lecture whose topic is to be announced stores an empty title (read "题目待定" or "Topic
to be announced"); a youth class stores its term's name and its number in the new
``events.class_number`` (read "寒假学期 · 第 3 课" or "Winter term · class 3").

Revision ID: 0015
Revises: 0016
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0016'
branch_labels = None
depends_on = None

PLACEHOLDERS = ("题目待定", "Topic to be announced")
CLASS_TITLE = re.compile(r"^(?P<term>.*) · (?:第 (?P<zh>\d+) 课|class (?P<en>\d+))$")


def upgrade():
    # Adding a nullable column: SQLite does it in place, no table rebuild.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_number', sa.Integer(), nullable=True))

    events = sa.table("events", sa.column("id", sa.Integer), sa.column("program_id", sa.Integer),
                      sa.column("title", sa.String), sa.column("class_number", sa.Integer))
    programs = sa.table("programs", sa.column("id", sa.Integer), sa.column("kind", sa.String))
    connection = op.get_bind()
    connection.execute(events.update().where(events.c.title.in_(PLACEHOLDERS)).values(title=""))
    classes = connection.execute(
        sa.select(events.c.id, events.c.title)
        .where(events.c.program_id.in_(sa.select(programs.c.id).where(programs.c.kind == "youth")))
    ).all()
    for event_id, title in classes:
        match = CLASS_TITLE.match(title or "")
        if match:
            connection.execute(
                events.update().where(events.c.id == event_id)
                .values(title=match["term"], class_number=int(match["zh"] or match["en"]))
            )


def downgrade():
    events = sa.table("events", sa.column("title", sa.String), sa.column("class_number", sa.Integer))
    connection = op.get_bind()
    connection.execute(
        events.update().where(events.c.class_number.is_not(None))
        .values(title=events.c.title + " · 第 " + sa.cast(events.c.class_number, sa.String) + " 课")
    )
    connection.execute(events.update().where(events.c.title == "").values(title=PLACEHOLDERS[0]))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('class_number')
