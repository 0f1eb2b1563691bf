"""One simulated Azure OpenAI resource: its state (in memory, or durable in a SQLite store), clock, faults,
request counts and validations, and the file operations the routes share."""

from __future__ import annotations

import asyncio
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path

from ftstack.emulator import lifecycle
from ftstack.emulator.clock import SimulatedClock
from ftstack.emulator.faults import FaultBook
from ftstack.emulator.identifiers import file_id
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.state import EmulatorState, FileRecord
from ftstack.emulator.stats import RequestStats
from ftstack.emulator.store import StateStore
from ftstack.emulator.validation import VALIDATIONS, Outcome, content_sha256, upload_outcome

FILE_PURPOSES = (
    "fine-tune",
    "fine-tune-results",
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "evals",
    "evals_output",
)
# Real seconds of simulated time the saved clock lease covers: a restart resumes at most this far ahead,
# and never behind a time a client has seen.
CLOCK_LEASE_REAL_SECONDS = 1.0
# Uploads up to this size are validated before the upload is answered (still off the event loop).
SETTLED_UPLOAD_BYTES = 8 * 1024 * 1024


class EmulatorResource:
    """The state behind one emulator: files, jobs, deployments, the simulated clock, faults and stats."""

    def __init__(self, settings: EmulatorSettings, clock: SimulatedClock | None = None) -> None:
        self.settings = settings
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.store: StateStore | None = None
        if settings.state_dir is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="ftstack-emulator-")
            self.state = EmulatorState(blob_dir=Path(self._scratch.name))
        else:
            self.store = StateStore(settings.state_dir)
            self.state = self.store.load()
        saved_now = self.state.simulated_now
        if clock is None:
            # Resume at the saved lease (never before a time already served), or wall-clock time if later.
            clock = SimulatedClock(settings.time_scale, start=max(saved_now, time.time()))
        elif saved_now > clock.now():
            # A shared clock (the local Azure's) never runs behind the state saved under it.
            clock.advance(saved_now - clock.now())
        self.clock = clock
        self._lease = saved_now
        self.faults = FaultBook()
        for rule in settings.faults:
            self.faults.add(rule)
        self.stats = RequestStats()
        # Uploads whose validation runs in a worker thread, by file id.
        self._deciding: dict[str, Future[Outcome]] = {}
        for record in self.state.files.values():
            if record.outcome is None:
                self._decide(record)

    def sync(self) -> float:
        """Bring the state up to the simulated now and save what that revealed; returns the now."""
        now = self.clock.now()
        self._apply_decisions()
        lifecycle.advance(self.state, now)
        self.persist(now)
        return now

    def persist(self, now: float | None = None) -> None:
        """Commit what changed (one transaction), and extend the clock lease when it runs out."""
        if self.store is None:
            return
        now = self.clock.now() if now is None else now
        lease = now + CLOCK_LEASE_REAL_SECONDS * self.clock.scale if now >= self._lease else self._lease
        # The lease is written in the same transaction as the state it covers: a kill between the two
        # could otherwise leave saved times ahead of the clock a restart resumes at.
        self.store.commit(self.state, force_meta={"clock_lease": repr(lease)})
        self._lease = lease

    def close(self) -> None:
        """Save the state, close the store and remove scratch blobs."""
        self.sync()
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._scratch is not None:
            self._scratch.cleanup()

    # --- files ---

    def new_file_id(self) -> str:
        """A fresh file id."""
        return file_id()

    def add_file(
        self,
        ident: str,
        filename: str,
        purpose: str,
        size: int,
        sha256: str,
        now: float,
        failure: str | None = None,
    ) -> FileRecord:
        """Register a file whose content is already in its blob, pending; validation (for fine-tune data)
        runs off the event loop, and its outcome is revealed as simulated time passes."""
        record = FileRecord(
            id=ident,
            filename=filename,
            purpose=purpose,
            bytes=size,
            created_at=int(now),
            status="pending",
            running_at=now + lifecycle.FILE_PENDING_SECONDS,
            done_at=now + lifecycle.FILE_PENDING_SECONDS + lifecycle.FILE_RUNNING_SECONDS,
            outcome="error" if failure is not None else None,
            outcome_details=failure,
            sha256=sha256,
        )
        self.state.files[ident] = record
        if failure is None:
            self._decide(record)
        return record

    def _decide(self, record: FileRecord) -> None:
        path = self.state.blob_path(record.id)
        if record.sha256 is None:
            record.sha256 = content_sha256(path)
        self._deciding[record.id] = VALIDATIONS.upload(path, record.sha256, record.purpose)

    def _apply_decisions(self) -> None:
        for ident, future in list(self._deciding.items()):
            if not future.done():
                continue
            del self._deciding[ident]
            record = self.state.files.get(ident)
            if record is None:
                continue
            try:
                record.outcome, record.outcome_details = future.result()
            except Exception as exc:  # a validator bug must not leave the file pending forever
                record.outcome, record.outcome_details = "error", f"Training file validation failed: {exc}"

    async def settle_small(self, record: FileRecord) -> None:
        """Wait (off the event loop) for a small file's validation, which takes milliseconds, so its
        outcome is decided when the upload is answered; a large one is decided in the background."""
        future = self._deciding.get(record.id)
        if future is not None and record.bytes <= SETTLED_UPLOAD_BYTES:
            await asyncio.wrap_future(future)
            self._apply_decisions()

    def delete_file(self, ident: str, now: float) -> None:
        """Forget a file; its content stays while a job still trains from it (chat answers need it). A
        deletion under a job that has not ended is counted, and with the `fail_on_deleted_file` fault armed
        it fails the pending jobs that needed the file."""
        self.state.files.pop(ident)
        self._deciding.pop(ident, None)
        users = [j for j in self.state.jobs.values() if ident in (j.training_file, j.validation_file)]
        live = [j for j in users if j.status in lifecycle.ACTIVE]
        if live:
            self.stats.files_deleted_under_live_jobs += 1
            if self.faults.take("DELETE", f"/files/{ident}", ("fail_on_deleted_file",)) is not None:
                for job in live:
                    if job.status == "pending":
                        lifecycle.fail_for_deleted_file(job, ident, now)
        if not users:
            self.state.blob_path(ident).unlink(missing_ok=True)


__all__ = ["FILE_PURPOSES", "EmulatorResource", "upload_outcome"]
