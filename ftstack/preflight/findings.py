"""What the preflight reports: one finding per shortfall (with what would work), what it could not check,
and what fits. The JSON form is the CLI contract of `ftstack preflight --json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FindingKind = Literal[
    "deployment-quota",  # the usage (quota) of a SKU and model in the region has less room than asked
    "deployment-capacity",  # modelCapacities' availableFinetuneCapacity is below what is asked
    "deployment-count",  # more fine-tuned deployments than one resource may hold
    "job-queue",  # more jobs at once than one resource runs plus queues
    "job-total",  # more training jobs than one resource may hold
    "file-count",  # more fine-tuning files than one resource may hold
    "file-size",  # more bytes of fine-tuning files than one resource may hold
]
Source = Literal["azure", "recorded", "local"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Alternative(_Out):
    """A place with room that the residency settings allow: a SKU in a region, with its free capacity."""

    region: str
    sku: str
    free: float


class Finding(_Out):
    """One shortfall: what is asked, what is free, and what would work."""

    kind: FindingKind
    subject: str  # e.g. "Standard gpt-4o-mini in swedencentral"
    asked: float
    free: float
    unit: str
    deployments: list[str] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    fixes: list[str] = Field(default_factory=list)
    message: str


class NotChecked(_Out):
    """Something the preflight could not check, and why (shown, never a silent pass)."""

    subject: str
    reason: str

    @property
    def message(self) -> str:
        """`not checked: <subject>: <reason>`."""
        return f"not checked: {self.subject}: {self.reason}"


class PreflightReport(_Out):
    """The whole answer for one stack."""

    stack: str
    region: str
    subscription: str | None
    source: Source
    findings: list[Finding] = Field(default_factory=list)
    not_checked: list[NotChecked] = Field(default_factory=list)
    fits: list[str] = Field(default_factory=list)  # what was checked and has room, in words

    @property
    def ok(self) -> bool:
        """True when nothing falls short."""
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        """The CLI contract's JSON: `fits` is the verdict, `checked` what has room."""
        return {
            "stack": self.stack,
            "region": self.region,
            "subscription": self.subscription,
            "source": self.source,
            "fits": self.ok,
            "findings": [f.model_dump() for f in self.findings],
            "notChecked": [n.model_dump() for n in self.not_checked],
            "checked": list(self.fits),
        }

    def lines(self) -> list[str]:
        """The report in words, one line per finding, unchecked item and fit."""
        return (
            [f"shortfall: {f.message}" for f in self.findings]
            + [n.message for n in self.not_checked]
            + [f"fits: {line}" for line in self.fits]
        )
