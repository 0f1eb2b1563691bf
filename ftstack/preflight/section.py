"""The preflight's part of the check report and the pull-request comment: the findings when Azure can be
read (read-only), "not checked: no credentials" when it cannot, never a silent pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ftstack.preflight.findings import PreflightReport
from ftstack.preflight.reader import CredentialError, PreflightReadError, QuotaReader
from ftstack.preflight.stack import PreflightUsageError, preflight_stack

Status = Literal["fits", "shortfall", "not-checked"]


class PreflightSection(BaseModel):
    """The preflight in a check report: a status, why when not checked, and the full report when run."""

    model_config = ConfigDict(frozen=True)

    status: Status
    reason: str | None = None
    report: PreflightReport | None = None

    def to_json(self) -> dict[str, Any]:
        """`{"status", "reason", "report"}` for the check report's JSON (`preflight` key)."""
        return {
            "status": self.status,
            "reason": self.reason,
            "report": self.report.to_json() if self.report is not None else None,
        }

    def markdown(self) -> str:
        """A `### Quota and capacity preflight` block for the pull-request comment."""
        lines = ["### Quota and capacity preflight", ""]
        if self.report is None:
            lines.append(f"**not checked: {self.reason}**")
            return "\n".join(lines) + "\n"
        verdict = "everything fits" if self.report.ok else f"{len(self.report.findings)} shortfall(s)"
        lines.append(f"{self.report.region}, subscription `{self.report.subscription}`: **{verdict}**")
        lines.append("")
        lines += [f"- :x: {f.message}" for f in self.report.findings]
        lines += [f"- :grey_question: {n.message}" for n in self.report.not_checked]
        lines += [f"- :white_check_mark: {line}" for line in self.report.fits]
        return "\n".join(lines) + "\n"


def preflight_section(
    stack: str, project_dir: Path, reader: QuotaReader | None = None, subscription: str | None = None
) -> PreflightSection:
    """The preflight section for `stack`'s check report. With no `reader`, Azure is read with whatever
    credential the runner has (AZURE_SUBSCRIPTION_ID or the stack's azure-native:subscriptionId names the
    subscription); a missing credential or subscription gives "not checked", never an error."""
    import os

    from ftstack.preflight.sources import azure_reader

    explicit = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID") or None
    try:
        report = preflight_stack(
            stack,
            project_dir,
            (lambda _: reader) if reader is not None else azure_reader,
            "azure" if reader is None else "recorded",
            explicit,
        )
    except PreflightUsageError as exc:
        reason = (
            "no credentials (no subscription: set AZURE_SUBSCRIPTION_ID or the stack's azure-native:subscriptionId)"
            if "no subscription" in str(exc)
            else str(exc)
        )
        return PreflightSection(status="not-checked", reason=reason)
    except CredentialError:
        return PreflightSection(status="not-checked", reason="no credentials")
    except PreflightReadError as exc:
        return PreflightSection(status="not-checked", reason=str(exc))
    return PreflightSection(status="fits" if report.ok else "shortfall", report=report)
