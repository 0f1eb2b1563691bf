"""The check report as Markdown for a pull-request comment: a summary line, resources by type, violations
grouped by policy with the remediation hint."""

from __future__ import annotations

import re
from itertools import groupby

from ftstack.check.report import CheckReport, Violation
from ftstack.reporting.markdown_text import cell, code_span, escape_text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: CheckReport) -> str:
    """One line: the verdict, the violations by level and the number of resources. "compliant" is never
    printed while a policy is disabled: that rule checked nothing."""
    mandatory, advisory = len(report.mandatory), len(report.advisory)
    disabled = len(report.policies_at("disabled"))
    if not report.compliant:
        icon, verdict = "❌", "not compliant"
    elif disabled:
        icon, verdict = "⚠️", f"not verified, {disabled} {'policy' if disabled == 1 else 'policies'} disabled"
    else:
        icon, verdict = "✅", "compliant"
    counts = []
    if mandatory:
        counts.append(_plural(mandatory, "mandatory violation"))
    if advisory:
        counts.append(_plural(advisory, "advisory violation"))
    found = ", ".join(counts) if counts else "no violations"
    return f"{icon} **{escape_text(report.stack)}**: {verdict}, {found}; {_plural(len(report.resources), 'resource')}"


def _cell(text: str) -> str:
    """User text for the comment: code spans kept, everything else inert (see markdown_text)."""
    return cell(text)


def render_markdown(report: CheckReport) -> str:
    """The whole report for one stack."""
    kind = "production" if report.production else "non-production"
    lines = [
        f"### {summary_line(report)}",
        "",
        f"Environment {code_span(report.environment)} ({kind}), enforcement {report.enforcement}, policy pack "
        f"{code_span(report.pack_name)} {escape_text(report.pack_version)}.",
    ]
    for level, label in (
        ("disabled", "Disabled (not checked)"),
        ("advisory", "Advisory (reported, not blocking)"),
    ):
        unenforced = report.policies_at(level)
        if unenforced:
            lines += ["", f"{label}: {', '.join(f'`{n}`' for n in unenforced)}"]
    lines += [
        "",
        "| Resource type | Count | Names |",
        "|---|---:|---|",
    ]
    for type_, count in report.resource_counts().items():
        names = ", ".join(f"`{r.name}`" for r in report.resources if r.type == type_)
        lines.append(f"| `{_cell(type_)}` | {count} | {_cell(names)} |")
    if report.deployments:
        lines += [
            "",
            "**Deployments** (which model each serves, and why)",
            "",
            "| Deployment | SKU | Capacity | Model |",
            "|---|---|---:|---|",
        ]
        lines += [
            f"| {code_span(str(d['name']))} | {escape_text(str(d['sku']))} | {escape_text(str(d['capacity']))} "
            f"| {_cell(d['model'])} |"
            for d in report.deployments
        ]
    if report.drain is not None and (report.drain.waiting_jobs or report.drain.unwaited_jobs):
        icon = "⏱️" if report.drain.fits else "⚠️"
        lines += ["", f"**Fine-tuning drain** {icon} {_cell(report.drain.summary())}."]
    if report.warnings:
        lines += ["", "**Warnings**", ""]
        lines += [f"- ⚠️ {_cell(w)}" for w in report.warnings]
    if report.overrides:
        lines += [
            "",
            "**Capability overrides** (standard-training regions the matrix does not list, allowed by this stack)",
            "",
        ]
        lines += [
            f"- {escape_text(str(o['model']))} ({escape_text(str(o['version']))}), "
            f"{escape_text(str(o['training']))} training in {escape_text(str(o['region']))}: "
            f"{_cell(o['justification'])}"
            for o in report.overrides
        ]
    if report.violations:
        lines += ["", "**Violations**"]
        ordered = sorted(report.violations, key=lambda v: (v.level != "mandatory", v.policy))
        for policy, group in groupby(ordered, key=lambda v: v.policy):
            lines += _policy_section(report, policy, list(group))
    if report.preflight is not None:
        lines += ["", report.preflight.markdown(heading="####").rstrip("\n")]
    if report.notes:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {_cell(n)}" for n in report.notes]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def render_config_error(stack: str, lines: list[str]) -> str:
    """The section of a stack that could not be checked (`--all`): its config problems, no verdict."""
    body = "\n".join(lines)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", body)), default=0))
    return f"### ⚠️ **{cell(stack)}**: configuration error (exit 2), not checked\n\n{fence}\n{body}\n{fence}\n"


def _policy_section(report: CheckReport, policy: str, violations: list[Violation]) -> list[str]:
    info = report.policies.get(policy)
    level = violations[0].level
    severity = violations[0].severity
    heading = f"**`{policy}`** ({level}, {severity} severity)"
    lines = ["", f"- {heading}" + (f": {info.description}" if info else "")]
    for violation in violations:
        where = code_span(violation.resource) if violation.resource else "the stack"
        lines.append(f"  - {where}: {_cell(violation.message)}")
    if info and info.remediation:
        lines.append(f"  - _Remediation:_ {_cell(info.remediation)}")
    return lines
