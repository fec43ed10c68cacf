"""gunicorn settings for Bookbridge (read from the project directory; flags override them).

`gunicorn config.wsgi` serves the admin and the Microsoft Graph webhooks. A few threads per
process: the views are short, and the threads of one process share its interpreter lock.
WEB_WORKERS and WEB_THREADS override the counts. Measured in docs/benchmarks.md.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
backlog = 2048
accesslog = None


def post_worker_init(worker):
    # The loaded application is hundreds of thousands of objects that live for ever: keep
    # them out of the collector's full passes, which otherwise stall requests.
    gc.freeze()
