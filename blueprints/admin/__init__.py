"""Administration at /admin/: one blueprint, its pages in one module per area. A new
area registers its routes on ``bp`` and is imported here."""
from .routes import bp  # noqa: F401
from . import notifications  # noqa: F401,E402  (registers its pages on bp)
from . import audit, people, programs, venues  # noqa: F401,E402  (they add their routes to bp)
from . import holidays  # noqa: F401,E402  (registers /admin/holidays on bp)
from . import grids, rewards  # noqa: E402,F401  (their routes register on bp)
