"""One simulated Azure OpenAI resource: its state, clock, faults and request counts, and the file
operations the routes share."""

from __future__ import annotations

import time
from pathlib import Path

from ftstack.emulator import lifecycle, training_files
from ftstack.emulator.clock import SimulatedClock
from ftstack.emulator.faults import FaultBook
from ftstack.emulator.identifiers import file_id
from ftstack.emulator.settings import EmulatorSettings
from ftstack.emulator.state import FileRecord, new_state, save_state
from ftstack.emulator.stats import RequestStats

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


class EmulatorResource:
    """The state behind one emulator: files, jobs, deployments, the simulated clock, faults and stats."""

    def __init__(self, settings: EmulatorSettings, clock: SimulatedClock | None = None) -> None:
        self.settings = settings
        self.state, self._scratch = new_state(settings.state_dir)
        if clock is None:
            # Resume where the saved clock stopped, or at wall-clock time if that is later (time passed).
            clock = SimulatedClock(settings.time_scale, start=max(self.state.simulated_now, time.time()))
        elif self.state.simulated_now > clock.now():
            # A shared clock (the local Azure's) never runs behind the state saved under it.
            clock.advance(self.state.simulated_now - clock.now())
        self.clock = clock
        self.faults = FaultBook()
        for rule in settings.faults:
            self.faults.add(rule)
        self.stats = RequestStats()

    def sync(self) -> float:
        """Bring the state up to the simulated now; returns it."""
        now = self.clock.now()
        lifecycle.advance(self.state, now)
        return now

    def persist(self) -> None:
        """Save the state when a state directory is configured."""
        if self.settings.state_dir is not None:
            save_state(self.state, self.settings.state_dir, self.clock.now())

    def close(self) -> None:
        """Save the state and remove scratch blobs."""
        self.sync()
        self.persist()
        if self._scratch is not None:
            self._scratch.cleanup()

    def add_file(
        self, filename: str, purpose: str, content: bytes, now: float, failure: str | None = None
    ) -> FileRecord:
        """Store a new file, pending; its processing outcome (validation for fine-tune data) is decided now
        and revealed as simulated time passes."""
        ident = file_id()
        path = self.state.write_blob(ident, content)
        outcome, details = (
            ("error", failure) if failure is not None else self._processing_outcome(path, purpose)
        )
        record = FileRecord(
            id=ident,
            filename=filename,
            purpose=purpose,
            bytes=len(content),
            created_at=int(now),
            status="pending",
            running_at=now + lifecycle.FILE_PENDING_SECONDS,
            done_at=now + lifecycle.FILE_PENDING_SECONDS + lifecycle.FILE_RUNNING_SECONDS,
            outcome=outcome,
            outcome_details=details,
        )
        self.state.files[ident] = record
        return record

    @staticmethod
    def _processing_outcome(path: Path, purpose: str) -> tuple[str, str | None]:
        if purpose != "fine-tune":
            return "processed", None
        # The base model is not known yet: validate against the most lenient row for this kind of data.
        method = training_files.detect_method(path)
        row = training_files.lenient_row(method, training_files.has_images(path))
        verdict = training_files.validate(path, row, method)
        if verdict.valid:
            return "processed", None
        return "error", f"Training file validation failed: {verdict.summary}"

    def delete_file(self, ident: str) -> None:
        """Forget a file; its content stays while a job still trains from it (chat answers need it)."""
        self.state.files.pop(ident)
        used = any(ident in (j.training_file, j.validation_file) for j in self.state.jobs.values())
        if not used:
            self.state.blob_path(ident).unlink(missing_ok=True)
