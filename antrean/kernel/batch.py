"""Group commit for SQLite's hot write path (issuing tickets).

SQLite with ``synchronous=FULL`` pays one fsync per commit (~1-3 ms on an
office PC's disk), which caps one-commit-per-ticket at a few hundred tickets
per second. A single writer thread instead takes every request that is
waiting, runs each in its own SAVEPOINT inside one ``BEGIN IMMEDIATE``
transaction, and commits once. A request that fails rolls back only its own
savepoint (its counter bump included), so numbers stay gap-free; nobody's
ticket is acknowledged before the commit that makes it durable. Between
processes ``BEGIN IMMEDIATE`` still serialises writers.

Under gevent (``antrean run``) the writer "thread" is a greenlet: its SQL is CPU work that holds
the GIL either way, while the blocking part, the commit's fsync, runs in a real OS thread of
gevent's threadpool (``antrean.db``: ``do_commit`` is offloaded). The greenlet waits there, so
requests arriving meanwhile gather into the next batch, and the after-commit events (Socket.IO
emits) still run on the hub, where gevent's objects may be touched.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from antrean.kernel.db import Database

T = TypeVar("T")
#: a request of the batch: its function (in the caller's context) and the future its caller waits on
_Item = tuple[Callable[[Session], Any], "Future[Any]"]

log = logging.getLogger(__name__)

MAX_BATCH = 64


class GroupCommitter:
    def __init__(self, db: Database, name: str = "antrean-group-commit") -> None:
        self.db = db
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def run(self, fn: Callable[[Session], T], timeout: float = 60.0) -> T:
        """Run ``fn(session)`` in the next group transaction; return its result after commit.

        ``fn`` runs in the writer thread inside a copy of the caller's context, so hooks
        it calls still see the caller's Flask request (Flask keeps it in contextvars).
        """
        if self._closed:
            raise RuntimeError("group committer is closed")
        self._ensure_thread()
        fut: Future[T] = Future()
        ctx = contextvars.copy_context()
        self._queue.put((lambda s: ctx.run(fn, s), fut))
        return fut.result(timeout)

    def close(self) -> None:
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Item]) -> None:
        done: list[tuple[Future[Any], Any]] = []
        try:
            with self.db.write() as s:
                for fn, fut in batch:
                    if not fut.set_running_or_notify_cancel():
                        continue
                    try:
                        with s.begin_nested():
                            result = fn(s)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        fut.set_exception(exc)
                    else:
                        done.append((fut, result))
        except BaseException as exc:  # the commit itself failed: nobody in the batch got a ticket
            log.exception("group commit failed")
            for fut, _ in done:
                fut.set_exception(exc)
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for fut, result in done:
            fut.set_result(result)
