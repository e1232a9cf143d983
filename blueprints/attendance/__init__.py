from .routes import bp  # noqa: F401
from . import reach  # noqa: E402,F401  (its routes register on bp)
