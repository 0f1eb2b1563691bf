"""Fine-tuning service limits per resource and the planning pace, loaded from data/service_limits.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import CatalogError
from ftstack.catalog.provenance import SourceSpec


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str
    running_jobs_per_resource: int = Field(alias="runningJobsPerResource", ge=1)
    queued_jobs_per_resource: int = Field(alias="queuedJobsPerResource", ge=0)
    training_jobs_per_resource: int = Field(alias="trainingJobsPerResource", ge=1)
    files_per_resource: int = Field(alias="filesPerResource", ge=1)
    total_file_bytes_per_resource: int = Field(alias="totalFileBytesPerResource", ge=1)
    fine_tuned_deployments_per_resource: int = Field(alias="fineTunedDeploymentsPerResource", ge=1)
    max_job_hours: int = Field(alias="maxJobHours", ge=1)


class _Pace(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str
    overhead_minutes_per_job: float = Field(alias="overheadMinutesPerJob", gt=0)
    trained_tokens_per_minute: float = Field(alias="trainedTokensPerMinute", gt=0)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    sources: dict[str, SourceSpec]
    limits: _Limits
    typical_pace: _Pace = Field(alias="typicalPace")


@dataclass(frozen=True)
class ServiceLimits:
    """Per-resource fine-tuning limits and the typical pace used for drain-time estimates."""

    running_jobs: int
    queued_jobs: int
    training_jobs: int
    files: int
    total_file_bytes: int
    fine_tuned_deployments: int
    max_job_hours: int
    overhead_minutes_per_job: float
    trained_tokens_per_minute: float
    limits_source: str
    pace_source: str

    @property
    def jobs_at_once(self) -> int:
        """How many jobs one resource accepts at a time: running plus queued."""
        return self.running_jobs + self.queued_jobs

    def typical_job_minutes(self, billed_tokens: int) -> float:
        """Minutes one job takes at the typical pace."""
        return self.overhead_minutes_per_job + billed_tokens / self.trained_tokens_per_minute


@cache
def load_service_limits() -> ServiceLimits:
    """The shipped limits, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "service_limits.yaml", _File)
    for cited in (parsed.limits.source, parsed.typical_pace.source):
        if cited not in parsed.sources:
            raise CatalogError(f"ftstack/catalog/data/service_limits.yaml cites an unknown source {cited!r}")
    limits, pace = parsed.limits, parsed.typical_pace
    return ServiceLimits(
        running_jobs=limits.running_jobs_per_resource,
        queued_jobs=limits.queued_jobs_per_resource,
        training_jobs=limits.training_jobs_per_resource,
        files=limits.files_per_resource,
        total_file_bytes=limits.total_file_bytes_per_resource,
        fine_tuned_deployments=limits.fine_tuned_deployments_per_resource,
        max_job_hours=limits.max_job_hours,
        overhead_minutes_per_job=pace.overhead_minutes_per_job,
        trained_tokens_per_minute=pace.trained_tokens_per_minute,
        limits_source=parsed.sources[limits.source].title,
        pace_source=parsed.sources[pace.source].title,
    )
