"""How files and jobs move through their states as simulated time passes. Progress is computed lazily
from the clock whenever state is read, so no background work is needed: one job holds the running slot
at a time (paused jobs keep it), the others wait in `pending`, first come first served."""

from __future__ import annotations

import math

from ftstack.emulator.identifiers import checkpoint_id, event_id, results_file_id
from ftstack.emulator.state import CheckpointRecord, EmulatorState, EventRecord, FileRecord, JobRecord
from ftstack.emulator.training_curve import TrainingRun, metrics_at, results_csv

# Simulated seconds.
FILE_PENDING_SECONDS = 20.0
FILE_RUNNING_SECONDS = 40.0
JOB_VALIDATION_SECONDS = 60.0
EPOCH_OVERHEAD_SECONDS = 20.0
FINALIZE_SECONDS = 120.0
PAUSE_SECONDS = 30.0
RESUME_SECONDS = 30.0
METRICS_EVENTS_PER_JOB = 50
# After a job completes, the final model and the checkpoints of the 2 epochs before it are deployable
# (reference §4.6 and §2 "Checkpoint deployment"), so a job keeps only its 3 newest checkpoints.
KEPT_CHECKPOINTS = 3

HOLDING = ("running", "pausing", "paused", "resuming")
ACTIVE = ("pending", *HOLDING)
TERMINAL = ("succeeded", "failed", "cancelled")


def step_seconds(tokens_per_epoch: int, examples: int, batch_size: int) -> float:
    """Simulated seconds one optimizer step takes."""
    tokens_per_step = tokens_per_epoch / max(1, examples) * batch_size
    return 2.0 + tokens_per_step / 2000.0


def run_of(job: JobRecord) -> TrainingRun:
    """The loss-curve inputs of a job."""
    return TrainingRun(job.examples, job.n_epochs, job.batch_size, job.learning_rate_multiplier, job.seed)


def epoch_seconds(job: JobRecord) -> float:
    """Training seconds one epoch takes."""
    return run_of(job).steps_per_epoch * job.step_seconds + job.epoch_overhead


def training_seconds(job: JobRecord) -> float:
    """Training seconds the whole job needs, post-processing included."""
    return job.n_epochs * epoch_seconds(job) + job.finalize_seconds


def progress_at(job: JobRecord, now: float) -> float:
    """Training seconds done by `now`."""
    if job.status == "running" and job.segment_start is not None:
        return job.progress + max(0.0, now - job.segment_start)
    return job.progress


def event(
    job: JobRecord,
    at: float,
    message: str,
    level: str = "info",
    kind: str = "message",
    data: dict[str, object] | None = None,
) -> None:
    """Append an event to a job's log (its id follows from the job and the event's position)."""
    job.events.append(EventRecord(event_id(job.id, len(job.events)), int(at), level, message, kind, data))


def advance(state: EmulatorState, now: float) -> None:
    """Bring every file and job up to simulated time `now`."""
    for record in state.files.values():
        _advance_file(record, now)
    while _advance_jobs(state, now):
        pass


def _advance_file(record: FileRecord, now: float) -> None:
    if record.status == "pending" and now >= record.running_at:
        record.status = "running"
    # A file stays running until its validation (off the event loop) has decided the outcome.
    if record.status == "running" and now >= record.done_at and record.outcome is not None:
        record.status = record.outcome
        record.status_details = record.outcome_details


def _advance_jobs(state: EmulatorState, now: float) -> bool:
    changed = False
    pending = sorted((j for j in state.jobs.values() if j.status == "pending"), key=lambda j: j.created_at)
    for job in pending:
        if not job.files_validated and now >= job.ready_at:
            job.files_validated = True
            if job.planned_error is not None and job.planned_error_progress is None:
                fail(job, job.ready_at)
            else:
                event(
                    job,
                    job.ready_at,
                    "Training file validated. Job enqueued; waiting for jobs ahead to complete.",
                )
            changed = True
    holder = next((j for j in state.jobs.values() if j.status in HOLDING), None)
    if holder is not None:
        return _advance_holder(state, holder, now) or changed
    queued = [j for j in pending if j.status == "pending" and j.files_validated]
    if queued:
        job = queued[0]
        start = max(job.ready_at, state.slot_free_at)
        if start <= now:
            job.status = "running"
            job.started_at = start
            job.segment_start = start
            event(job, start, f"Training started for {job.model} ({run_of(job).total_steps} steps).")
            return True
    return changed


def _advance_holder(state: EmulatorState, job: JobRecord, now: float) -> bool:
    if job.status == "pausing" and job.transition_at is not None and now >= job.transition_at:
        job.status = "paused"
        event(job, job.transition_at, "Job paused.")
        _checkpoint_on_pause(job, job.transition_at)
    if job.status == "resuming" and job.transition_at is not None and now >= job.transition_at:
        job.status = "running"
        job.segment_start = job.transition_at
        event(job, job.transition_at, "Job resumed.")
    if job.status != "running" or job.segment_start is None:
        return False
    done = progress_at(job, now)
    total = training_seconds(job)
    fail_after = job.planned_error_progress
    horizon = min(done, total, math.inf if fail_after is None else fail_after)
    _report_training(job, horizon)
    segment_start, before = job.segment_start, job.progress

    def when(progress: float) -> float:
        return segment_start + (progress - before)

    if fail_after is not None and done >= fail_after:
        job.progress = fail_after
        fail(job, when(fail_after))
        state.slot_free_at = when(fail_after)
        return True
    if done >= total:
        job.progress = total
        _succeed(state, job, when(total))
        state.slot_free_at = when(total)
        return True
    return False


def _report_training(job: JobRecord, horizon: float) -> None:
    """Emit metrics events and checkpoints for the steps finished by training progress `horizon`."""
    run = run_of(job)
    per_epoch = run.steps_per_epoch
    every = max(1, run.total_steps // METRICS_EVENTS_PER_JOB)
    start = job.segment_start if job.segment_start is not None else 0.0
    for step in range(job.steps_reported + 1, run.total_steps + 1):
        epoch, within = divmod(step - 1, per_epoch)
        finished = epoch * epoch_seconds(job) + (within + 1) * job.step_seconds
        if finished > horizon:
            break
        at = start + (finished - job.progress)
        job.steps_reported = step
        epoch_end = step % per_epoch == 0
        if step % every == 0 or epoch_end:
            event(
                job,
                at,
                f"Step {step}/{run.total_steps}: training loss={metrics_at(run, step).train_loss:.4f}",
                kind="metrics",
                data=metrics_event_data(job, step, epoch_end),
            )
        if epoch_end:
            job.epochs_done = step // per_epoch
            add_checkpoint(job, step, at)
            event(
                job,
                at,
                f"Completed epoch {job.epochs_done}/{job.n_epochs}; checkpoint created at step {step}.",
            )


def metrics_event_data(job: JobRecord, step: int, epoch_end: bool) -> dict[str, object]:
    """A metrics event's `data`: the training metrics, the sampled validation metrics when the job has a
    validation file, and the full validation metrics at the end of an epoch (the fields OpenAI's metrics
    events and the checkpoint `metrics` share, reference §1.5)."""
    run = run_of(job)
    metrics = metrics_at(run, step)
    data: dict[str, object] = {
        "step": step,
        "total_steps": run.total_steps,
        "train_loss": metrics.train_loss,
        "train_mean_token_accuracy": metrics.train_mean_token_accuracy,
    }
    if job.validation_file is not None:
        data["valid_loss"] = metrics.valid_loss
        data["valid_mean_token_accuracy"] = metrics.valid_mean_token_accuracy
        if epoch_end:
            data["full_valid_loss"] = metrics.full_valid_loss
            data["full_valid_mean_token_accuracy"] = metrics.full_valid_mean_token_accuracy
    return data


def add_checkpoint(job: JobRecord, step: int, at: float) -> None:
    """Add a deployable checkpoint at `step`, keeping only the newest KEPT_CHECKPOINTS."""
    if any(c.step_number == step for c in job.checkpoints):
        return
    job.checkpoints.append(
        CheckpointRecord(
            checkpoint_id(job.id, step),
            int(at),
            step,
            f"{job.fine_tuned_model_id}:ckpt-step-{step}",
            metrics_at(run_of(job), step).to_json(),
        )
    )
    del job.checkpoints[:-KEPT_CHECKPOINTS]


def _checkpoint_on_pause(job: JobRecord, at: float) -> None:
    """A paused job gets a deployable checkpoint at the step it reached (once the safety evaluation of
    that checkpoint completes, reference §1.2), unless an epoch just made one there."""
    if job.steps_reported > 0 and all(c.step_number != job.steps_reported for c in job.checkpoints):
        add_checkpoint(job, job.steps_reported, at)
        event(
            job,
            at,
            f"Checkpoint created at step {job.steps_reported} for the paused job; it can be deployed.",
        )


def fail(job: JobRecord, at: float) -> None:
    """End a job as failed with its planned error."""
    job.status = "failed"
    job.error = job.planned_error or {"code": "internal_error", "message": "The job failed.", "param": None}
    job.finished_at = int(at)
    job.segment_start = None
    event(job, at, f"Job failed: {job.error['message']}", level="error")


def fail_for_deleted_file(job: JobRecord, file_id: str, at: float) -> None:
    """Fail a pending job whose data file was deleted before training could read it."""
    job.planned_error = {
        "code": "invalid_training_file",
        "message": f"The job failed because its data file {file_id} was deleted before training started.",
        "param": "training_file" if file_id == job.training_file else "validation_file",
    }
    fail(job, at)


def _succeed(state: EmulatorState, job: JobRecord, at: float) -> None:
    run = run_of(job)
    content = results_csv(run).encode()
    results = FileRecord(
        id=results_file_id(job.id),
        filename="results.csv",
        purpose="fine-tune-results",
        bytes=len(content),
        created_at=int(at),
        status="processed",
        running_at=at,
        done_at=at,
    )
    state.files[results.id] = results
    state.write_blob(results.id, content)
    job.status = "succeeded"
    job.finished_at = int(at)
    job.segment_start = None
    job.fine_tuned_model = job.fine_tuned_model_id
    job.trained_tokens = job.tokens_per_epoch * job.n_epochs
    job.result_files = [results.id]
    # The final epoch's checkpoint is the final model (reference §2: "the final epoch is the
    # fine_tuned_model and the previous two are checkpoints").
    final = next((c for c in job.checkpoints if c.step_number == run.total_steps), None)
    if final is not None:
        final.fine_tuned_model_checkpoint = job.fine_tuned_model
    event(job, at - job.finalize_seconds, "Postprocessing started: running the safety evaluation.")
    event(job, at, f"Completed results file: {results.id}")
    event(job, at, "Model Evaluation Passed.")
    event(job, at, f"Training tokens billed: {job.trained_tokens}")
    event(job, at, f"Job succeeded. Fine-tuned model: {job.fine_tuned_model}")


def pause(state: EmulatorState, job: JobRecord, now: float) -> str | None:
    """Pause a running job; the reason it cannot be paused otherwise."""
    advance(state, now)
    if job.status != "running":
        return f"Job {job.id} is {job.status}; only a running job can be paused."
    done = progress_at(job, now)
    if done < job.step_seconds:
        return f"Job {job.id} has not trained a step yet; a job can be paused once it has trained at least one step."
    job.progress = done
    job.segment_start = None
    job.status = "pausing"
    job.transition_at = now + PAUSE_SECONDS
    event(job, now, "Pause requested.")
    return None


def resume(state: EmulatorState, job: JobRecord, now: float) -> str | None:
    """Resume a paused job; the reason it cannot be resumed otherwise."""
    advance(state, now)
    if job.status != "paused":
        return f"Job {job.id} is {job.status}; only a paused job can be resumed."
    job.status = "resuming"
    job.transition_at = now + RESUME_SECONDS
    event(job, now, "Resume requested.")
    return None


def cancel(state: EmulatorState, job: JobRecord, now: float) -> str | None:
    """Cancel a job that has not ended; the reason it cannot be cancelled otherwise."""
    advance(state, now)
    if job.status not in ACTIVE:
        return f"Job {job.id} is {job.status} and cannot be cancelled."
    if job.status in HOLDING:
        job.progress = progress_at(job, now)
        state.slot_free_at = now
    job.status = "cancelled"
    job.segment_start = None
    job.finished_at = int(now)
    event(job, now, "Job cancelled.")
    return None
