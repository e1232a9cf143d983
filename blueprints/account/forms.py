"""Forms of a resident's own pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class ChildrenInCalendarForm(FlaskForm):
    """Whether the parent's children's classes appear in their calendar feed."""

    show = BooleanField(_l("Show my children’s classes in my calendar, with the child’s first name"))
