"""The preflight's part of the check report and the pull-request comment: the findings when Azure can be
read (read-only), "not checked: no credentials" when it cannot, never a silent pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ftstack.preflight.findings import PreflightReport, Source
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

    def markdown(self, heading: str = "###") -> str:
        """A `### Quota and capacity preflight` block for the pull-request comment (`heading` sets the level;
        inside a stack's check report, where the stack is the `###`, it is `####`)."""
        from ftstack.reporting.markdown_text import cell, code_span  # findings quote config: inert text only

        lines = [f"{heading} Quota and capacity preflight", ""]
        if self.report is None:
            lines.append(f"**not checked: {cell(self.reason or 'no reason given')}**")
            return "\n".join(lines) + "\n"
        verdict = "everything fits" if self.report.ok else f"{len(self.report.findings)} shortfall(s)"
        where = f"{cell(self.report.region)}, subscription {code_span(self.report.subscription or 'unknown')}"
        lines.append(f"{where}: **{verdict}**")
        lines.append("")
        lines += [f"- :x: {cell(f.message)}" for f in self.report.findings]
        lines += [f"- :grey_question: {cell(n.message)}" for n in self.report.not_checked]
        lines += [f"- :white_check_mark: {cell(line)}" for line in self.report.fits]
        return "\n".join(lines) + "\n"


class NoSignInError(CredentialError):
    """The runner carries no Azure sign-in (ftstack.preflight.sign_in), so Azure was not asked at all."""


def preflight_section(
    stack: str,
    project_dir: Path,
    reader: QuotaReader | None = None,
    subscription: str | None = None,
    recorded: Path | None = None,
) -> PreflightSection:
    """The preflight section for `stack`'s check report. With no `reader`, Azure is read only when the
    runner carries a sign-in (ftstack.preflight.sign_in; AZURE_SUBSCRIPTION_ID or the stack's
    azure-native:subscriptionId names the subscription); a missing sign-in or subscription gives "not
    checked" with the reason, never an error and never a network call. `recorded` reads saved responses
    instead (as `ftstack preflight --recorded`), with no credential at all."""
    import os

    from ftstack.preflight.sources import RECORDED_SUBSCRIPTION, recorded_reader

    explicit = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID") or None
    make_reader: Callable[[str], QuotaReader] = _signed_in_reader
    source: Source = "azure"
    fallback = None
    if reader is not None:
        make_reader, source = (lambda _: reader), "recorded"
    elif recorded is not None:
        folder = recorded
        make_reader, source = (lambda sub: recorded_reader(folder, sub)), "recorded"
        fallback = RECORDED_SUBSCRIPTION
    try:
        report = preflight_stack(stack, project_dir, make_reader, source, explicit, fallback)
    except PreflightUsageError as exc:
        reason = (
            "no credentials (no subscription: set AZURE_SUBSCRIPTION_ID or the stack's azure-native:subscriptionId)"
            if "no subscription" in str(exc)
            else str(exc)
        )
        return PreflightSection(status="not-checked", reason=reason)
    except NoSignInError as exc:
        return PreflightSection(status="not-checked", reason=f"no credentials ({exc})")
    except CredentialError:
        return PreflightSection(status="not-checked", reason="no credentials")
    except PreflightReadError as exc:
        return PreflightSection(status="not-checked", reason=str(exc))
    return PreflightSection(status="fits" if report.ok else "shortfall", report=report)


def _signed_in_reader(subscription: str) -> QuotaReader:
    """Azure with the runner's sign-in; NoSignInError, before any SDK is imported, when there is none."""
    from ftstack.preflight.sign_in import NO_SIGN_IN, sign_in_source
    from ftstack.preflight.sources import azure_reader

    if sign_in_source() is None:
        raise NoSignInError(NO_SIGN_IN)
    return azure_reader(subscription)
