"""The yardstick of ``bench/pages_bench.py``: bare Flask, one route returning "hello".

Served by the same gunicorn configuration as the app, so that a page's figure can be
given as a share of what Flask and gunicorn alone manage on the same machine in the
same run.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
