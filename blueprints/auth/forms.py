"""Registration and login forms: they check shape; services decide."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from services.accounts import check_new_password, is_valid_phone, normalize_phone
from services.errors import WeakPassword

from ..common import clean_text


def _valid_phone(form, field):
    if not is_valid_phone(field.data or ""):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


def _phone_field(label=_l("Mobile number")) -> StringField:
    return StringField(
        label, filters=[normalize_phone],
        validators=[DataRequired(_l("Please enter your mobile number.")), _valid_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 20},
    )


def _hard_to_guess(form, field):
    """Not a common password, nor the mobile number: the form's own number field when it
    has one (registering), else the logged-in person's (changing one's password). The
    service that sets the password checks again with the account's real number."""
    if len(field.data or "") < 8:
        return  # the length rule has said what is wrong
    phone_field = getattr(form, "phone", None)
    phone = getattr(phone_field, "data", None) or (
        current_user.phone if current_user and current_user.is_authenticated else None
    )
    try:
        check_new_password(field.data or "", phone=phone)
    except WeakPassword as error:
        raise ValidationError(str(error)) from None


def new_password_field(label=_l("Password")) -> PasswordField:
    """The field where someone chooses a password: every form that sets one uses it, so
    the rules for a good password live in one place (and in
    ``services.accounts.check_new_password``, which every service that sets one calls)."""
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Please choose a password.")),
            Length(min=8, max=128, message=_l("A password needs 8 to 128 characters.")),
            _hard_to_guess,
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 8 characters. Not your mobile number, nor a common password such as 12345678."),
    )


def password_again_field(of: str = "password") -> PasswordField:
    """The field that repeats the new password in the field named ``of``."""
    return PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Please type the password again.")),
            EqualTo(of, message=_l("The two passwords don't match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class RegisterForm(FlaskForm):
    phone = _phone_field()
    display_name = StringField(
        _l("Name"), filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter the name others will see.")),
            Length(max=20, message=_l("A name can be at most 20 characters.")),
        ],
        render_kw={"autocomplete": "name", "maxlength": 20},
    )
    password = new_password_field()
    confirm = password_again_field()
    next = HiddenField()


class LoginForm(FlaskForm):
    phone = _phone_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=128, message=_l("A password can be at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this phone"), default=True)
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    """A reset code from the community office or an organizer, and the new password."""

    phone = _phone_field()
    code = StringField(
        _l("Reset code"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter the code you were given.")),
                    Length(max=40, message=_l("The code has 8 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 40},
    )
    password = new_password_field(_l("New password"))
    confirm = password_again_field()


class IssueCodeForm(FlaskForm):
    """The mobile number of the person who forgot their password."""

    phone = _phone_field(_l("Their mobile number"))
