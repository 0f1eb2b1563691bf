"""What one emulator instance is configured with: region, clock scale, token, faults, state directory."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ftstack.catalog import load_regions
from ftstack.emulator.faults import FaultRule

DEFAULT_REGION = "swedencentral"


class EmulatorSettings(BaseModel):
    """Settings of one emulator: the resource's region, the time scale, auth, faults and persistence."""

    model_config = ConfigDict(extra="forbid")

    region: str = DEFAULT_REGION
    # Simulated seconds that pass per real second (600: ten simulated minutes per second).
    time_scale: float = Field(default=1.0, gt=0)
    # When set, only this token (as `api-key` or bearer) is accepted; otherwise any non-empty one is.
    token: str | None = None
    faults: list[FaultRule] = Field(default_factory=list)
    state_dir: Path | None = None
    # Jobs that may wait behind the running one (the service's queued-jobs quota).
    max_queued_jobs: int = Field(default=20, ge=0)
    # Strict: chat answers only under registered deployment names, like Azure (the local Azure's accounts).
    # Lenient (the standalone emulator): a base or fine-tuned model id also works as a deployment name.
    strict_deployments: bool = False

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return load_regions().get(value).name
