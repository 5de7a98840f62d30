"""Staff sign-in forms. Everything here is untrusted input, checked again by services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Sign in with an email address and a password."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=320)],
    )
    password = PasswordField(
        _l("Password"),
        # The upper bound keeps an attacker from making us hash megabytes.
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
    )


class LogoutForm(FlaskForm):
    """The sign-out button; this form carries the CSRF token."""
