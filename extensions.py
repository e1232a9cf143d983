"""Flask extensions, created once and unbound; ``create_app`` attaches them."""
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from models import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
mail = Mail()

__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "bootstrap", "mail"]
