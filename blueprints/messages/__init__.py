from . import mail  # noqa: F401
from .routes import bp  # noqa: F401
