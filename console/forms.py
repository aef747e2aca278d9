"""Flask-WTF forms (CSRF comes with them; the other forms post the same token via ``csrf_token()``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        _l("Nama pengguna"), validators=[DataRequired(_l("Nama pengguna wajib diisi.")), Length(max=60)]
    )
    password = PasswordField(
        _l("Kata sandi"), validators=[DataRequired(_l("Kata sandi wajib diisi.")), Length(max=200)]
    )
