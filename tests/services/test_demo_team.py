"""seed-demo gives the lecture team a believable month: talks with roles partly filled,
members and applicants, and past service credited."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from models import (
    Booking, BookingStatus, EntryKind, Event, Membership, MembershipStatus, Quota, ServiceEntry, ShiftRole, db,
)
import demo
from services import points, talks
from services.dates import LOCAL_TZ, now_utc


def test_the_demo_has_a_month_of_talks_members_and_credited_service(app, time_machine, cached_password_hashes):
    # Mid-year: the demo's past month of service falls in this year's honour board.
    time_machine.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=LOCAL_TZ), tick=True)
    logins = dict(demo.seed())
    db.session.commit()
    team = talks.team_program()
    now = now_utc()

    coming = db.session.execute(
        sa.select(Event).where(Event.program_id == team.id, Event.starts_at > now)
    ).scalars().all()
    assert len(coming) >= 8
    assert max(e.starts_at for e in coming) - now <= timedelta(days=31)
    coming_roles = sa.select(ShiftRole.quota_id).where(ShiftRole.event_id.in_([e.id for e in coming]))
    slots = db.session.execute(
        sa.select(sa.func.sum(Quota.capacity), sa.func.sum(Quota.taken)).where(Quota.id.in_(coming_roles))
    ).one()
    assert 0 < slots[1] < slots[0]  # partly filled
    waiting = db.session.execute(
        sa.select(sa.func.count()).select_from(Booking)
        .where(Booking.quota_id.in_(coming_roles), Booking.status == BookingStatus.WAITLISTED)
    ).scalar_one()
    assert waiting >= 1

    members = dict(db.session.execute(
        sa.select(Membership.status, sa.func.count()).where(Membership.program_id == team.id).group_by(Membership.status)
    ).all())
    assert members[MembershipStatus.ACTIVE] >= 8 and members[MembershipStatus.PENDING] >= 1

    credits = db.session.execute(
        sa.select(sa.func.count()).select_from(ServiceEntry).where(ServiceEntry.kind == EntryKind.SHIFT)
    ).scalar_one()
    assert credits >= 20
    totals = points.totals_of(logins["volunteer"])
    assert totals.minutes > 0 and totals.points > 0
    assert points.honour_board(now=now)["year"]
