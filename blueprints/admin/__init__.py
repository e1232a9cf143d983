from .routes import bp  # noqa: F401
from . import notifications  # noqa: F401,E402  (registers its pages on bp)
