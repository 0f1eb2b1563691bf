"""What one emulator instance is configured with: region, clock scale, token, faults, state directory, and
the limits that keep a hostile or broken client from exhausting it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ftstack.catalog import load_regions
from ftstack.emulator.faults import FaultRule

DEFAULT_REGION = "swedencentral"
# The service's limit on one uploaded file (reference: files must be smaller than 512 MB).
MAX_FILE_BYTES = 512 * 1024 * 1024
# Simulated seconds per real second: a year per second is already far past any test's need.
MAX_TIME_SCALE = 31_536_000.0


class EmulatorSettings(BaseModel):
    """Settings of one emulator: the resource's region, the time scale, auth, faults, persistence and limits."""

    model_config = ConfigDict(extra="forbid")

    region: str = DEFAULT_REGION
    # Simulated seconds that pass per real second (600: ten simulated minutes per second).
    time_scale: float = Field(default=1.0, gt=0, le=MAX_TIME_SCALE, allow_inf_nan=False)
    # When set, only this token (as `api-key` or bearer) is accepted. None accepts any non-empty credential:
    # for an emulator embedded behind another check (the local Azure's accounts) and in-process tests;
    # `ftstack emulator` always sets one. Every route, admin included, needs a credential either way.
    token: str | None = Field(default=None, min_length=1)
    faults: list[FaultRule] = Field(default_factory=list)
    state_dir: Path | None = None
    # Jobs that may wait behind the running one (the service's queued-jobs quota).
    max_queued_jobs: int = Field(default=20, ge=0)
    # Strict: chat answers only under registered deployment names, like Azure (the local Azure's accounts).
    # Lenient (the standalone emulator): a base or fine-tuned model id also works as a deployment name.
    strict_deployments: bool = False
    # The address the server listens on; requests must name it (or a loopback name) in their Host header,
    # so a web page cannot reach the emulator through DNS rebinding.
    listen_host: str = "127.0.0.1"
    # Further host names accepted in the Host header (e.g. a container's service name).
    allowed_hosts: list[str] = Field(default_factory=list)
    # Hosts `/files/import` may download from (http or https only); empty: importing is off.
    import_hosts: list[str] = Field(default_factory=list)
    import_max_bytes: int = Field(default=MAX_FILE_BYTES, gt=0, le=MAX_FILE_BYTES)
    import_timeout_seconds: float = Field(default=30.0, gt=0, le=600, allow_inf_nan=False)
    # The largest file an upload may carry (the service's 512 MB).
    max_file_bytes: int = Field(default=MAX_FILE_BYTES, gt=0, le=MAX_FILE_BYTES)
    # Seconds a client may leave a request unfinished (headers or body) before it is cut off.
    client_timeout_seconds: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return load_regions().get(value).name

    @field_validator("allowed_hosts", "import_hosts")
    @classmethod
    def _host_names(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip().lower().rstrip(".") for v in values]
        for value in cleaned:
            if not value or (any(c in value for c in "/:@?# ") and not value.startswith("[")):
                raise ValueError(f"{value!r} is not a host name (no scheme, port or path)")
        return cleaned
