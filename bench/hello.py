"""The baseline every route is compared with: a one-line Flask hello-world, served by a
gunicorn started exactly as Linli's (``bench/run.py`` does both)."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    """The smallest page Flask can serve."""
    return "Hello, World!"
