"""SQLAlchemy 2 models: the entities of Linli and the constraints that guard them."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with named constraints, so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Objects stay readable after commit: a request commits once, then redirects or renders.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

from .user import Role, User, UserRole  # noqa: E402
from .program import Program, ProgramKind, Series, Venue, program_organizers  # noqa: E402
from .event import Event, EventStatus  # noqa: E402
from .booking import Booking, BookingStatus, Quota  # noqa: E402
from .calendar import CalendarToken, FeedVersion  # noqa: E402
from .login import Login  # noqa: E402
from .throttle import ThrottleCounter  # noqa: E402
from .membership import Membership, MembershipStatus  # noqa: E402
from .shift import OutcomeStatus, PointsRule, ShiftOutcome, ShiftRole  # noqa: E402
from .service import EntryKind, ServiceActivity, ServiceEntry  # noqa: E402
from .schedule import WeeklySchedule, weekly_schedule_events  # noqa: E402
from .troupe import Troupe, TroupeMembership, TroupeMembershipStatus  # noqa: E402
from .youth import Child, Gender, YouthRules  # noqa: E402
from .audit import AuditEntry  # noqa: E402
from .notification import (  # noqa: E402
    Delivery, DeliveryStatus, Notification, NotificationKind, NotificationSettings, OrganizerMessage,
)
from .reset_code import PasswordResetCode  # noqa: E402
from .holiday import ClosedDay  # noqa: E402
from .neighbourhood import Building, BuildingLeader, Grid, GridWorker, OfflineResident, Residence  # noqa: E402
from .audience import AudienceKind, EventAudience  # noqa: E402
from .reward import Honour, Redemption, RedemptionStatus, RewardItem  # noqa: E402
from .attendance import (  # noqa: E402
    ATTENDED_STATUSES, Attendance, AttendanceChange, AttendanceStatus, CheckInMethod,
)

__all__ = [
    "db", "Base", "Role", "User", "UserRole", "Program", "ProgramKind", "Series", "Venue",
    "program_organizers", "Event", "EventStatus", "Booking", "BookingStatus", "Quota",
    "CalendarToken", "FeedVersion", "Login", "ThrottleCounter",
    "Membership", "MembershipStatus", "ShiftRole", "PointsRule", "ShiftOutcome", "OutcomeStatus",
    "ServiceEntry", "EntryKind", "ServiceActivity",
    "Grid", "Building", "BuildingLeader", "GridWorker", "Residence", "OfflineResident",
    "AudienceKind", "EventAudience", "RewardItem", "Redemption", "RedemptionStatus", "Honour",
    "WeeklySchedule", "weekly_schedule_events", "Troupe", "TroupeMembership", "TroupeMembershipStatus",
    "Child", "Gender", "YouthRules",
    "AuditEntry", "ClosedDay", "PasswordResetCode", "Delivery", "DeliveryStatus", "Notification", "NotificationKind",
    "NotificationSettings", "OrganizerMessage", "Attendance", "AttendanceChange", "AttendanceStatus", "CheckInMethod",
    "ATTENDED_STATUSES",
]
