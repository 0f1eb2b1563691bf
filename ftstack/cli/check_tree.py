"""`ftstack check` on a terminal: the report as a tree, the verdict first, then the violations (mandatory
before advisory, grouped by policy with the fix), warnings, and only then what the stack declares.

It reads the CheckReport (`ftstack/check/report.py`); the Markdown for pull requests stays in
`ftstack/check/markdown.py`.
"""

from __future__ import annotations

from itertools import groupby

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from ftstack.check.report import CheckReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def verdict_line(report: CheckReport) -> Text:
    """The stack, compliant or not, and the violations by level."""
    counts = []
    if report.mandatory:
        counts.append(_plural(len(report.mandatory), "mandatory violation"))
    if report.advisory:
        counts.append(_plural(len(report.advisory), "advisory violation"))
    found = ", ".join(counts) or "no violations"
    verdict, style = ("compliant", "bold green") if report.compliant else ("not compliant", "bold red")
    line = Text.assemble((report.stack, "bold"), ": ", (verdict, style))
    line.append(f", {found}; {_plural(len(report.resources), 'resource')}")
    return line


def render_tree(report: CheckReport) -> RenderableType:
    """The whole report as a rich renderable."""
    kind = "production" if report.production else "non-production"
    root = Tree(verdict_line(report))
    root.add(
        Text(
            f"environment {report.environment} ({kind}), enforcement {report.enforcement}, "
            f"policy pack {report.pack_name} {report.pack_version}",
            style="dim",
        )
    )
    if report.violations:
        violations = root.add(Text("violations", style="bold"))
        ordered = sorted(report.violations, key=lambda v: (v.level != "mandatory", v.policy))
        for policy, group in groupby(ordered, key=lambda v: v.policy):
            items = list(group)
            level = items[0].level
            style = "red" if level == "mandatory" else "yellow"
            info = report.policies.get(policy)
            heading = Text.assemble((policy, f"bold {style}"), f" ({level}, {items[0].severity} severity)")
            if info and info.description:
                heading.append(f": {info.description}")
            branch = violations.add(heading)
            for violation in items:
                where = violation.resource or "the stack"
                branch.add(Text.assemble((where, "bold"), f": {violation.message}"))
            if info and info.remediation:
                branch.add(Text(f"fix: {info.remediation}", style="italic"))
    if report.warnings:
        warnings = root.add(Text("warnings", style="bold yellow"))
        for warning in report.warnings:
            warnings.add(Text(warning))
    if report.drain is not None and (report.drain.waiting_jobs or report.drain.unwaited_jobs):
        root.add(Text.assemble(("fine-tuning drain", "bold"), f": {report.drain.summary()}"))
    if report.preflight is not None:
        preflight = root.add(Text("quota and capacity preflight", style="bold"))
        if report.preflight.report is None:
            preflight.add(Text(f"not checked: {report.preflight.reason}", style="yellow"))
        else:
            for line in report.preflight.report.lines():
                preflight.add(Text(line, style="red" if line.startswith("shortfall") else ""))
    if report.overrides:
        overrides = root.add(Text("capability overrides", style="bold"))
        for o in report.overrides:
            overrides.add(
                Text(
                    f"{o['model']} ({o['version']}), {o['training']} training in {o['region']}: "
                    f"{o['justification']}"
                )
            )
    if report.deployments:
        deployments = root.add(Text("deployments", style="bold"))
        for d in report.deployments:
            deployments.add(Text(f"{d['name']}: {d['sku']} x{d['capacity']}, {d['model']}"))
    resources = root.add(Text(f"resources ({len(report.resources)})", style="bold"))
    for type_, count in report.resource_counts().items():
        names = ", ".join(r.name for r in report.resources if r.type == type_)
        resources.add(Text.assemble((type_, "cyan"), f" x{count}: {names}"))
    if report.notes:
        notes = root.add(Text("notes", style="dim"))
        for note in report.notes:
            notes.add(Text(note, style="dim"))
    return Group(root)
