from .routes import bp  # noqa: F401
from . import holidays  # noqa: F401,E402  (registers /admin/holidays on bp)
