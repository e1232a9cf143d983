from .routes import bp  # noqa: F401
from . import residence  # noqa: E402,F401  (its routes register on bp)
