"""The emulator's durable state: one SQLite database (the standard library's `sqlite3`) in WAL mode beside
the file blobs, written one transaction per change.

Only what changed is written: the store keeps a shallow copy of every record as last saved and compares
it with the live record (a few microseconds per record), so a change costs one small transaction, not a
dump of the whole state. Events are append-only rows. A commit happens before the answer that shows the
change leaves the emulator, so a client never sees a state that a crash could take back.

WAL with `synchronous=NORMAL` survives the process being killed (the kernel has the pages); only a power
loss may lose the last transactions, which is fine for an emulator.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from ftstack.emulator.state import CheckpointRecord, EmulatorState, EventRecord, FileRecord, JobRecord

DATABASE = "state.sqlite"
BLOBS = "blobs"
SCHEMA_VERSION = "2"
# The JSON file earlier versions kept; imported once into the database.
LEGACY_STATE_FILE = "state.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS deployments (name TEXT PRIMARY KEY, model TEXT NOT NULL);
"""

_SETTLED_FILES = frozenset({"processed", "error"})
_SETTLED_JOBS = frozenset({"succeeded", "failed", "cancelled"})
_JOB_FIELDS = tuple(f.name for f in fields(JobRecord) if f.name != "events")
_FILE_FIELDS = tuple(f.name for f in fields(FileRecord))


def _file_row(record: FileRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _FILE_FIELDS}


def _job_row(job: JobRecord) -> dict[str, Any]:
    row = {name: getattr(job, name) for name in _JOB_FIELDS}
    row["checkpoints"] = [asdict(c) for c in job.checkpoints]
    return row


class StateStore:
    """The database of one emulator resource: load it once, then `commit` after every change."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.blob_dir = state_dir / BLOBS
        self.blob_dir.mkdir(exist_ok=True)
        # Routes commit on the event loop; the owner may close from another thread at shutdown.
        self._db = sqlite3.connect(state_dir / DATABASE, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{state_dir / DATABASE} is not an emulator state database: {exc}") from exc
        self._files: dict[str, dict[str, Any]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._events: dict[str, int] = {}
        self._deployments: dict[str, str] = {}
        self._meta: dict[str, str] = {}
        self._seq = 0

    # --- loading ---

    def load(self) -> EmulatorState:
        """The saved state (empty on first use; a legacy `state.json` is imported once)."""
        state = EmulatorState(blob_dir=self.blob_dir)
        self._meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        version = self._meta.get("schema_version")
        if version is not None and version != SCHEMA_VERSION:
            raise ValueError(
                f"{self.state_dir / DATABASE} holds emulator state version {version}; this version reads "
                f"{SCHEMA_VERSION}"
            )
        events: dict[str, list[EventRecord]] = {}
        for job_id, body in self._db.execute("SELECT job_id, body FROM events ORDER BY job_id, seq"):
            events.setdefault(job_id, []).append(EventRecord(**json.loads(body)))
        for ident, seq, body in self._db.execute("SELECT id, seq, body FROM files ORDER BY seq"):
            state.files[ident] = FileRecord(**json.loads(body))
            self._seq = max(self._seq, seq)
        for ident, seq, body in self._db.execute("SELECT id, seq, body FROM jobs ORDER BY seq"):
            raw = json.loads(body)
            checkpoints = [CheckpointRecord(**c) for c in raw.pop("checkpoints")]
            state.jobs[ident] = JobRecord(**raw, checkpoints=checkpoints, events=events.get(ident, []))
            self._seq = max(self._seq, seq)
        state.deployments = dict(self._db.execute("SELECT name, model FROM deployments").fetchall())
        state.slot_free_at = float(self._meta.get("slot_free_at", 0.0))
        state.simulated_now = float(self._meta.get("clock_lease", 0.0))
        legacy = self.state_dir / LEGACY_STATE_FILE
        if version is None and legacy.exists():
            try:
                _import_legacy(state, json.loads(legacy.read_text(encoding="utf-8")))
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"{legacy} is not an emulator state this version can read: {exc}") from exc
            self.commit(state, force_meta={"clock_lease": str(state.simulated_now)})
            legacy.rename(legacy.with_suffix(".json.imported"))
        self._remember(state)
        return state

    def _remember(self, state: EmulatorState) -> None:
        self._files = {i: _file_row(r) for i, r in state.files.items()}
        self._jobs = {i: _job_row(j) for i, j in state.jobs.items()}
        self._events = {i: len(j.events) for i, j in state.jobs.items()}
        self._deployments = dict(state.deployments)

    # --- saving ---

    def commit(self, state: EmulatorState, force_meta: dict[str, str] | None = None) -> bool:
        """Write what changed since the last commit in one transaction; True when anything was written."""
        # A record that had ended when it was last saved cannot change any more: reuse its saved row.
        files = {
            i: saved
            if (saved := self._files.get(i)) is not None
            and saved["status"] in _SETTLED_FILES
            and saved["status"] == r.status
            else _file_row(r)
            for i, r in state.files.items()
        }
        jobs = {
            i: saved
            if (saved := self._jobs.get(i)) is not None
            and saved["status"] in _SETTLED_JOBS
            and saved["status"] == j.status
            else _job_row(j)
            for i, j in state.jobs.items()
        }
        changed_files = [i for i, row in files.items() if self._files.get(i) != row]
        gone_files = [i for i in self._files if i not in files]
        changed_jobs = [i for i, row in jobs.items() if self._jobs.get(i) != row]
        gone_jobs = [i for i in self._jobs if i not in jobs]
        new_events = [
            (i, n, e)
            for i, j in state.jobs.items()
            for n, e in enumerate(j.events[self._events.get(i, 0) :], start=self._events.get(i, 0))
        ]
        meta = {"schema_version": SCHEMA_VERSION, "slot_free_at": repr(state.slot_free_at)}
        meta.update(force_meta or {})
        changed_meta = {k: v for k, v in meta.items() if self._meta.get(k) != v}
        deployments_changed = state.deployments != self._deployments
        if not (
            changed_files
            or gone_files
            or changed_jobs
            or gone_jobs
            or new_events
            or changed_meta
            or deployments_changed
        ):
            return False
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for ident in changed_files:
                    self._seq += 1
                    db.execute(
                        "INSERT INTO files (id, seq, body) VALUES (?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                        (ident, self._seq, json.dumps(files[ident])),
                    )
                db.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in gone_files])
                for ident in changed_jobs:
                    self._seq += 1
                    db.execute(
                        "INSERT INTO jobs (id, seq, body) VALUES (?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                        (ident, self._seq, json.dumps(jobs[ident])),
                    )
                for ident in gone_jobs:
                    db.execute("DELETE FROM jobs WHERE id = ?", (ident,))
                    db.execute("DELETE FROM events WHERE job_id = ?", (ident,))
                db.executemany(
                    "INSERT OR REPLACE INTO events (job_id, seq, body) VALUES (?, ?, ?)",
                    [(i, n, json.dumps(asdict(e))) for i, n, e in new_events],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(changed_meta.items())
                )
                if deployments_changed:
                    db.execute("DELETE FROM deployments")
                    db.executemany(
                        "INSERT INTO deployments (name, model) VALUES (?, ?)", list(state.deployments.items())
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self._files, self._jobs = files, jobs
        self._events = {i: len(j.events) for i, j in state.jobs.items()}
        self._deployments = dict(state.deployments)
        self._meta.update(changed_meta)
        return True

    def close(self) -> None:
        """Close the database (what was committed stays)."""
        with self._lock:
            self._db.close()


def _import_legacy(state: EmulatorState, data: dict[str, Any]) -> None:
    """Read the JSON state file of earlier versions (version 1) into `state`; ValueError on any other
    shape (a list, null, a string, or records of the wrong types)."""
    if not isinstance(data, dict) or data.get("version") != 1:
        shown = data.get("version") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"unsupported legacy emulator state {shown!r}: expected an object with version 1")
    try:
        _read_legacy(state, data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(
            f"the legacy emulator state has the wrong shape: {type(exc).__name__}: {exc}"
        ) from None


def _read_legacy(state: EmulatorState, data: dict[str, Any]) -> None:
    if data.get("version") != 1:
        raise ValueError(f"unsupported legacy emulator state version {data.get('version')!r}")
    for raw in data["files"]:
        record = FileRecord(**raw)
        state.files[record.id] = record
    for raw in data["jobs"]:
        events = [EventRecord(**e) for e in raw.pop("events")]
        checkpoints = [CheckpointRecord(**c) for c in raw.pop("checkpoints")]
        state.jobs[raw["id"]] = JobRecord(**raw, events=events, checkpoints=checkpoints)
    state.deployments = dict(data["deployments"])
    state.slot_free_at = float(data["slot_free_at"])
    state.simulated_now = float(data["simulated_now"])
