from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from server.web.inputs import BrowserForm, no_nul


class LoginForm(BrowserForm):
    email = EmailField("Email", validators=[no_nul, DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()
