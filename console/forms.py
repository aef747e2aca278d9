"""Flask-WTF forms (CSRF comes with them; the other forms post the same token via ``csrf_token()``)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired("Nama pengguna wajib diisi."), Length(max=60)])
    password = PasswordField("Kata sandi", validators=[DataRequired("Kata sandi wajib diisi."), Length(max=200)])
