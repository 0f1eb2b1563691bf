"""What Azure says about room, as pydantic models at the edge: quota usages, model capacities, the
stack's account as it stands (deployments, files, jobs). Readers fill them; the checks only read them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Usage(_Record):
    """One quota of a subscription in a region (`usages.list(location)`): e.g. `OpenAI.Standard.gpt-4o-mini`,
    `limit` and `current_value` in the quota's unit (thousands of TPM for standard SKUs, PTU for provisioned)."""

    name: str
    localized_name: str | None = None
    limit: float
    current_value: float = 0.0
    unit: str | None = None

    @property
    def free(self) -> float:
        """Room left: limit minus current value, never below zero."""
        return max(0.0, self.limit - self.current_value)


class SkuCapacity(_Record):
    """Available capacity of one (model, version, SKU) in one location (`modelCapacities`); the fine-tune figure
    is what a deployment of a fine-tuned version of the model may take."""

    location: str
    sku: str
    model: str
    version: str
    available_capacity: float | None = None
    available_finetune_capacity: float | None = None


class ExistingDeployment(_Record):
    """A deployment already on the stack's account: its capacity is reused when the stack keeps it."""

    name: str
    sku: str
    capacity: int = 0
    model: str | None = None


class DataFile(_Record):
    """A fine-tuning file on the account (the data plane's `GET /openai/files`)."""

    id: str
    filename: str = ""
    bytes: int = 0
    status: str | None = None


class FineTuningJobState(_Record):
    """A fine-tuning job on the account (the data plane's `GET /openai/fine_tuning/jobs`)."""

    id: str
    status: str


class AccountState(_Record):
    """The stack's account as it stands: None fields were not readable (not created yet, or no access)."""

    exists: bool
    region: str | None = None
    deployments: list[ExistingDeployment] = Field(default_factory=list)
    files: list[DataFile] | None = None
    jobs: list[FineTuningJobState] | None = None
    unreadable: str | None = None  # why the data plane could not be read, when it could not


# Jobs in these states hold the account's running or queued slots (the data plane's job states).
ACTIVE_JOB_STATES = frozenset({"validating_files", "queued", "pending", "running", "pausing", "paused"})
