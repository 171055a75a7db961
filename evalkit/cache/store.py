"""The cache file: one SQLite database (stdlib sqlite3) that several evalkit processes
read and write at once.

Guarantees:
- Only successes are stored: `put_answer` takes an Answer (a call that failed has none),
  `put_verdict` refuses a grading without a verdict. Errors, `unavailable` and
  `judge_error` are never cached, so asking again is always what a failure gets.
- Safe for concurrent processes: the database is in WAL mode (readers never wait for a
  writer), every write is one short transaction, and a process that finds the database
  locked waits up to `BUSY_TIMEOUT` seconds for it. A later put of the same key replaces
  the earlier one (`--refresh`), so the last writer wins; both values were valid.
- Writes never wait on the caller's thread (the run's event loop): a put is handed to
  one writer thread that commits whatever is waiting in one transaction (group commit),
  and is visible to this process's reads at once. `close` (and the end of the process)
  commits what is still waiting. A write is durable once its transaction commits in WAL
  mode with synchronous=NORMAL; a crash can lose the puts not yet committed, which then
  miss and are asked again. The cache is never the only copy of a result: the run file is.
- The cache never fails a run once it is open: a read or write that fails (a disk full, a
  lock held past the timeout) is counted in `failures` and treated as a miss.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from evalkit.cache.entries import CachedVerdict, CacheStats, Hit, Pruned
from evalkit.errors import CacheError
from evalkit.types import Answer

BUSY_TIMEOUT = 30.0
"""Seconds a process waits for another's write before giving up on one operation."""
FILE_NAME = "cache.sqlite3"
TABLES = ("answers", "verdicts")
SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    run_id TEXT NOT NULL,
    stored REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS {table}_stored ON {table}(stored);
"""


def default_dir() -> Path:
    """The user's cache folder for evalkit: $XDG_CACHE_HOME/evalkit, else
    ~/Library/Caches/evalkit on macOS, else ~/.cache/evalkit."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "evalkit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "evalkit"
    return Path.home() / ".cache" / "evalkit"


class CacheStore:
    """Answers and verdicts by key, in one SQLite file; see the module docstring."""

    def __init__(self, path: Path) -> None:
        """Open (creating it and its folder if need be) the cache at `path`; a file that is
        not a cache, or cannot be created, is a CacheError naming it."""
        self.path = path
        self.failures = 0
        """Reads and writes that failed and were treated as misses."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _opened(path)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(
                f"{path}: cannot open the cache ({exc}); remove the file, point the config's"
                " `cache` key elsewhere, or run with --no-cache"
            ) from None
        self._waiting: dict[tuple[str, str], tuple[str, str, float]] = {}
        """Puts not yet committed, by (table, key): read from here until they are."""
        self._wake = threading.Condition()
        self._closing = False
        self._writer: threading.Thread | None = None
        atexit.register(self.close)

    def close(self) -> None:
        """Commit the puts still waiting, then close the database (the WAL is checkpointed
        by the last process to close). Closing twice does nothing."""
        with self._wake:
            if self._closing:
                return
            self._closing = True
            self._wake.notify()
        if self._writer is not None:
            self._writer.join()
        self._db.close()
        atexit.unregister(self.close)

    def answer(self, key: str) -> Hit[Answer] | None:
        """The answer stored under `key`, or None."""
        found = self._get("answers", key)
        return Hit(Answer.model_validate_json(found[0]), found[1]) if found else None

    def verdict(self, key: str) -> Hit[CachedVerdict] | None:
        """The verdict stored under `key`, or None."""
        found = self._get("verdicts", key)
        return Hit(CachedVerdict.model_validate_json(found[0]), found[1]) if found else None

    def put_answer(self, key: str, answer: Answer, run_id: str) -> None:
        """Store an answer the endpoint gave (replacing any under the same key)."""
        self._put("answers", key, answer.model_dump_json(), run_id)

    def put_verdict(self, key: str, verdict: CachedVerdict, run_id: str) -> None:
        """Store a grading that has a verdict; one without (a failure) is refused."""
        if verdict.grading.verdict is None:
            raise ValueError("only a grading with a verdict is cached")
        self._put("verdicts", key, verdict.model_dump_json(), run_id)

    def flush(self) -> None:
        """Wait until every put so far is committed (or failed)."""
        with self._wake:
            while self._waiting and self._writer is not None and self._writer.is_alive():
                self._wake.wait()

    def _get(self, table: str, key: str) -> tuple[str, str] | None:
        waiting = self._waiting.get((table, key))
        if waiting is not None:
            return waiting[0], waiting[1]
        try:
            row = self._db.execute(
                f"SELECT value, run_id FROM {table} WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            self.failures += 1
            return None
        return (row[0], row[1]) if row else None

    def _put(self, table: str, key: str, value: str, run_id: str) -> None:
        """Hand the put to the writer thread (started on the first put)."""
        with self._wake:
            self._waiting[(table, key)] = (value, run_id, time.time())
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write, name="evalkit-cache", daemon=True
                )  # a daemon, so a store never closed cannot hold the process: atexit closes it
                self._writer.start()
            self._wake.notify()

    def _write(self) -> None:
        """The writer thread: commit whatever is waiting in one transaction, until closed."""
        try:
            db = _opened(self.path)
        except sqlite3.Error:  # every put of this process is a failure (a miss next time)
            with self._wake:
                self.failures += len(self._waiting)
                self._waiting.clear()
                self._wake.notify_all()
            return
        try:
            while True:
                with self._wake:
                    while not self._waiting and not self._closing:
                        self._wake.wait()
                    if not self._waiting:
                        return
                    batch = dict(self._waiting)
                self._commit(db, batch)
                with self._wake:
                    for place, entry in batch.items():
                        if self._waiting.get(place) is entry:  # not put again meanwhile
                            del self._waiting[place]
                    self._wake.notify_all()  # for `flush`
        finally:
            db.close()

    def _commit(self, db: sqlite3.Connection, batch: dict) -> None:
        rows: dict[str, list[tuple[str, str, str, float]]] = {t: [] for t in TABLES}
        for (table, key), (value, run_id, stored) in batch.items():
            rows[table].append((key, value, run_id, stored))
        try:
            with _Transaction(db):
                for table, values in rows.items():
                    db.executemany(
                        f"INSERT OR REPLACE INTO {table} (key, value, run_id, stored)"
                        " VALUES (?, ?, ?, ?)",
                        values,
                    )
        except sqlite3.Error:
            with self._wake:
                self.failures += len(batch)

    def stats(self) -> CacheStats:
        """How much the cache holds."""
        self.flush()
        counts = {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        union = " UNION ALL ".join(f"SELECT run_id, stored FROM {t}" for t in TABLES)
        runs, oldest, newest = self._db.execute(
            f"SELECT COUNT(DISTINCT run_id), MIN(stored), MAX(stored) FROM ({union})"
        ).fetchone()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheStats(
            path=str(self.path),
            bytes=size,
            answers=counts["answers"],
            verdicts=counts["verdicts"],
            runs=runs,
            oldest=_iso(oldest),
            newest=_iso(newest),
        )

    def prune(self, older_than: float) -> Pruned:
        """Remove entries stored more than `older_than` seconds ago, in one transaction."""
        self.flush()
        before = time.time() - older_than
        removed = {}
        with self._transaction():
            for table in TABLES:
                cursor = self._db.execute(f"DELETE FROM {table} WHERE stored < ?", (before,))
                removed[table] = cursor.rowcount
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Pruned(
            answers=removed["answers"], verdicts=removed["verdicts"], before=_iso(before) or ""
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception): the write lock is taken at
    once, so two pruning processes wait for each other instead of failing mid-way."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


def _opened(path: Path) -> sqlite3.Connection:
    """A connection to the cache, its tables made if need be. Switching a new file to WAL
    can meet another process doing the same, and SQLite then answers "database is locked"
    at once, without waiting: that is tried again, for up to BUSY_TIMEOUT seconds."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db = _connect(path)
            for table in TABLES:
                db.executescript(SCHEMA.format(table=table))
            return db
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, busy timeout."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")
