"""The form that says whom an event is for."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField

from models import AudienceKind

EVERYONE = "everyone"


class AudienceForm(FlaskForm):
    """Everyone, or one group: all building leaders, one grid's residents, one troupe's members."""

    kind = RadioField(
        _l("Who may see and book this event?"), default=EVERYONE,
        choices=[
            SelectChoice(EVERYONE, _l("Everyone")),
            SelectChoice(AudienceKind.BUILDING_LEADERS.value, _l("All building leaders (e.g. a training)")),
            SelectChoice(AudienceKind.GRID.value, _l("The residents of one grid")),
            SelectChoice(AudienceKind.TROUPE.value, _l("The members of one troupe")),
        ],
    )
    grid_id = SelectField(_l("Grid"), coerce=int, validate_choice=False)
    troupe_id = SelectField(_l("Troupe"), coerce=int, validate_choice=False)

    @property
    def chosen_kind(self) -> AudienceKind | None:
        return None if self.kind.data in (None, "", EVERYONE) else AudienceKind(self.kind.data)
