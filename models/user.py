"""People who use Linli and the roles they hold."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import db
from .types import UTCDateTime, enum_column, utcnow


# How passwords are hashed: scrypt with N = 2^17, r = 8, p = 1 (OWASP's recommendation;
# about 128 MiB and half a second per hash). The site's setting PASSWORD_HASH_METHOD
# decides (tests set a cheaper one); older hashes are upgraded at the next login.
PASSWORD_HASH_METHOD = "scrypt:131072:8:1"


class Role(enum.Enum):
    """What a person may do; one person may hold several roles."""

    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    ORGANIZER = "organizer"
    ADMIN = "admin"
    # Held while the person leads a building (红色楼长) or works a grid (网格员); granted and
    # taken away by services.buildings with the appointment, never by the roles form.
    BUILDING_LEADER = "building_leader"
    GRID_WORKER = "grid_worker"


# The ``phone`` of someone without a mobile number (a neighbour a building leader books
# for): "#" and ten letters — unique like any number, and never a number anyone can type
# to log in or register (those are 11 digits starting with 1).
NO_PHONE_PREFIX = "#"


class User(UserMixin, db.Model):
    """A resident's account, identified by a mainland mobile number."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(11), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Part of the id kept in every session and remember cookie (see ``get_id``): raising it
    # ends every session the person holds, on every device (services.accounts.end_all_sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The parent's choice: their children's classes show in their personal calendar feed
    # by the child's first name (True), or not at all.
    children_in_calendar: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person deleted their account (注销账号): the row stays, without a name,
    # number or password, so that bookings, attendance and the service ledger still add up.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The login (models.Login) this request came with, as the token in its cookies; not
    # stored on the row. Set by the login view and by app's user_loader.
    login_token = None

    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str, method: str = PASSWORD_HASH_METHOD) -> None:
        """Store a salted hash of ``password`` (scrypt unless ``method`` says otherwise)."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def password_needs_upgrade(self, method: str = PASSWORD_HASH_METHOD) -> bool:
        """Tell whether the stored hash was made with other settings than ``method``
        (accounts without a password of their own have nothing to upgrade)."""
        kind, dollar, _rest = self.password_hash.partition("$")
        return bool(dollar) and not self.password_hash.startswith("!") and kind != method

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def roles(self) -> set[Role]:
        return {link.role for link in self.role_links}

    def has_role(self, role: Role) -> bool:
        """Tell whether the person holds ``role``; an admin holds every role."""
        roles = self.roles
        return role in roles or Role.ADMIN in roles

    def grant(self, role: Role) -> None:
        """Give the person ``role`` if they do not hold it yet."""
        if role not in self.roles:
            self.role_links.append(UserRole(role=role))

    def revoke(self, role: Role) -> None:
        """Take ``role`` away from the person."""
        self.role_links = [link for link in self.role_links if link.role != role]

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.is_active_account

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember cookie: the account,
        its session version (a raised version turns every older cookie away) and the token
        of this device's login (logging out there ends it)."""
        if self.login_token:
            return f"{self.id}:{self.session_version}:{self.login_token}"
        return f"{self.id}:{self.session_version}"

    @property
    def has_phone(self) -> bool:
        """Tell whether the person has a mobile number (see ``NO_PHONE_PREFIX``)."""
        return not self.phone.startswith(NO_PHONE_PREFIX)

    @property
    def masked_phone(self) -> str:
        """The phone number with the middle four digits hidden, e.g. 138****0001 (empty
        for someone without a phone)."""
        if not self.has_phone:
            return ""
        return f"{self.phone[:3]}****{self.phone[-4:]}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name}>"


class UserRole(db.Model):
    """One role held by one person."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_links")
