"""Fine-tuning jobs from the terminal: list, show, events (followed until the job ends), checkpoints,
cancel, pause and resume, against an endpoint, a stack's account or the local Azure."""

from ftstack.jobs.client import TERMINAL_STATUSES, JobsClient, JobsError, StepMetrics, latest_metrics
from ftstack.jobs.target import JobsTarget, TargetError, local_target, stack_target

__all__ = [
    "TERMINAL_STATUSES",
    "JobsClient",
    "JobsError",
    "JobsTarget",
    "StepMetrics",
    "TargetError",
    "latest_metrics",
    "local_target",
    "stack_target",
]
