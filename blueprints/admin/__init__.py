from .routes import bp  # noqa: F401
from . import grids, rewards  # noqa: E402,F401  (their routes register on bp)
