"""Background work for long requests (batch printing, large imports): a thread with its own app
context, database session and locale. The job's progress lives in the database, so any worker
process can answer the page that polls it."""
from __future__ import annotations

import logging
import threading

from flask import current_app
from flask_babel import force_locale, get_locale

from assist.extensions import db

log = logging.getLogger(__name__)
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def start(name: str, fn, *args) -> None:
    """Run ``fn(*args)`` in a thread inside an app context; exceptions are logged, never lost."""
    app = current_app._get_current_object()
    locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])

    def main():
        with app.app_context(), force_locale(locale):
            try:
                fn(*args)
            except Exception:
                log.exception("background job %s failed", name)
                db.session.rollback()
            finally:
                db.session.remove()
                with _lock:
                    _threads.pop(name, None)
    thread = threading.Thread(target=main, name=f"assist-{name}", daemon=True)
    with _lock:
        _threads[name] = thread
    thread.start()


def join(name: str, timeout: float = 60) -> bool:
    """Wait for a job started here to end; True when it has (or never ran in this process)."""
    with _lock:
        thread = _threads.get(name)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
