"""`ftstack check`: run the real program under mocks, feed every resource to the real policy analyzer.

The stand-in for `pulumi preview --policy-pack policies --policy-pack-config <generated>`: the stack's
config is loaded the way the CLI loads it, the program runs in preview mode, the pack runs in its own
`python -m pulumi.policy` process configured from the stack's residency settings (the same document the
workflows pass to `pulumi preview`), and each resource is analyzed, then the whole stack.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from ftstack.check.analyzer import (
    AnalyzedProvider,
    AnalyzedResource,
    Analyzer,
    AnalyzerError,
    Diagnostic,
    PolicyConfigError,
)
from ftstack.check.baseline import BASE_REF_ENV, BaselineError, base_ref_settings
from ftstack.check.drain import drain_estimate
from ftstack.check.pack_process import PACK_FOLDER, PackProcess
from ftstack.check.policy_settings import pack_config, policy_level_problems
from ftstack.check.providers import providers_of
from ftstack.check.reachability import reachability_warnings
from ftstack.check.report import CheckReport, PolicySummary, ReportedResource, Violation, shown_properties
from ftstack.config import ConfigError, StackFileError, load_environment
from ftstack.config.deploy_warnings import deploy_warnings
from ftstack.preflight.section import preflight_section
from ftstack.preview import DeclaredResource, ProgramError, run_program
from ftstack.promotion.describe import describe_selection

PREVIEW_NOTE_PREFIX = "can't run policy"
RUNNER_ENVIRONMENT_ENV = "RUNNER_ENVIRONMENT"  # GitHub Actions: github-hosted or self-hosted

Progress = Callable[[str], None]


class CheckConfigError(ValueError):
    """The stack cannot be checked as configured; `lines` holds one line per problem."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def pack_version(pack_dir: Path) -> str:
    """The pack's version from PulumiPolicy.yaml (the only version source of a Python pack)."""
    meta = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    return str(meta.get("version", "0.0.0"))


def stack_pack_config(stack: str, project_dir: Path) -> dict[str, object]:
    """The stack's `--policy-pack-config` document; CheckConfigError when its config has problems.

    With FTSTACK_BASE_REF set (the pull-request workflow sets it to the base branch), the stack's settings
    on that git ref go into the production-baseline policy's config too.
    """
    try:
        config, env = load_environment(stack, project_dir)
    except StackFileError as exc:
        raise CheckConfigError([str(exc)]) from None
    except ConfigError as exc:
        raise CheckConfigError(exc.lines()) from None
    problems = [p.render(config.source) for p in policy_level_problems(env.residency)]
    if problems:
        raise CheckConfigError(problems)
    base_ref: dict[str, object] = {}
    ref = os.environ.get(BASE_REF_ENV, "").strip()
    if ref:
        try:
            base = base_ref_settings(project_dir, config.source, ref)
        except BaselineError as exc:
            raise CheckConfigError([str(exc)]) from None
        if base is not None:
            base_ref = {"ref": ref, "settings": base.model_dump(mode="json", by_alias=True)}
    return pack_config(env, stack=stack, base_ref=base_ref)


def run_check(
    stack: str,
    project_dir: Path,
    pack_dir: Path | None = None,
    progress: Progress | None = None,
    recorded: Path | None = None,
) -> CheckReport:
    """Check one stack: its resources and every policy violation; CheckConfigError for config problems."""
    with CheckSession(project_dir, pack_dir, progress, recorded=recorded) as session:
        return session.check(stack)


class CheckSession:
    """Checks stacks of one project against one policy-analyzer process.

    The analyzer is launched when the session is made (or handed over already launched, see
    `PackProcess.launch`) and comes up while the first program runs under mocks; every stack after the first
    only reconfigures it. `recorded` is a folder of saved ARM responses for the quota preflight.
    """

    def __init__(
        self,
        project_dir: Path,
        pack_dir: Path | None = None,
        progress: Progress | None = None,
        *,
        process: PackProcess | None = None,
        recorded: Path | None = None,
    ):
        self.project_dir = project_dir.resolve()
        self.pack_dir = (pack_dir or self.project_dir / PACK_FOLDER).resolve()
        self._step = progress or (lambda _message: None)
        self._recorded = recorded
        pack = process or PackProcess(self.pack_dir, python_path=[self.project_dir])
        self._analyzer = Analyzer(self.pack_dir, process=pack.launch())

    def __enter__(self) -> CheckSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the analyzer."""
        self._analyzer.close()

    def check(self, stack: str) -> CheckReport:
        """Check one stack; CheckConfigError for config problems, AnalyzerError when the pack fails."""
        step, project_dir = self._step, self.project_dir
        step("loading the stack config")
        config = stack_pack_config(stack, project_dir)
        stack_config, env = load_environment(stack, project_dir)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="preflight") as background:
            # The preflight reads Azure (or recorded responses) while the program and the analyzer run.
            preflight = background.submit(preflight_section, stack, project_dir, recorded=self._recorded)
            step("running the program under mocks (preview)")
            try:
                run = run_program(project_dir, stack, preview=True)
            except ProgramError as exc:
                raise CheckConfigError(exc.lines) from None
            step("starting the policy analyzer")
            analyzer = self._analyzer.start()
            info = analyzer.info()
            try:
                reconciled = analyzer.configure(config)
            except PolicyConfigError as exc:
                raise CheckConfigError(exc.problems) from None
            providers = providers_of(run.resources, stack, stack_config.project, stack_config.values)
            analyzed = [_analyzed(r, providers.get(r.urn)) for r in run.resources]
            diagnostics: list[Diagnostic] = []
            for resource in analyzed:
                step(f"analyzing {resource.name}")
                diagnostics += analyzer.analyze(resource)
            step("analyzing the stack")
            diagnostics += analyzer.analyze_stack(analyzed)
            step("reading quota for the preflight")
            section = preflight.result()
        by_urn = {r.urn: r for r in run.resources}
        violations, notes = [], []
        for d in diagnostics:
            if d.message.startswith(PREVIEW_NOTE_PREFIX):
                notes.append(f"{d.policy}: {d.message}")
                continue
            declared = by_urn.get(d.urn)
            violations.append(
                Violation(
                    policy=d.policy,
                    level=d.level,
                    severity=d.severity,
                    resource=declared.name if declared else "",
                    type=declared.type if declared else "",
                    urn=d.urn,
                    message=d.message,
                )
            )
        drain = drain_estimate(stack, env, run.resources, project_dir)
        runner = os.environ.get(RUNNER_ENVIRONMENT_ENV) or None
        drain_warning = drain.warning()
        return CheckReport(
            stack=stack,
            environment=env.name,
            production=env.production,
            enforcement=env.residency.enforcement,
            pack_name=info.name,
            pack_version=pack_version(self.pack_dir),
            resources=[
                ReportedResource(r.type, r.name, r.urn, shown_properties(r.inputs, r.secret_paths))
                for r in run.resources
            ],
            violations=violations,
            policies={
                p.name: PolicySummary(p.name, p.description, reconciled[p.name][0], p.severity, p.remediation)
                for p in info.policies
            },
            notes=notes,
            warnings=[
                *reachability_warnings(env),
                *deploy_warnings(env, runner),
                *([drain_warning] if drain_warning else []),
            ],
            # DESIGN.md: a justified addition to the matrix is shown wherever the stack is reviewed.
            overrides=[o.model_dump(mode="json") for o in env.capability_overrides],
            deployments=[
                {
                    "name": d.name,
                    "sku": d.sku,
                    "capacity": str(d.capacity),
                    "model": describe_selection(env, d, project_dir),
                }
                for d in env.deployments
            ],
            preflight=section,
            drain=drain,
        )


def _analyzed(resource: DeclaredResource, provider: AnalyzedProvider | None) -> AnalyzedResource:
    """The resource as the engine hands it to the analyzer: its inputs with the engine-only ones (a dynamic
    resource's `__provider`), and its provider."""
    return AnalyzedResource(
        type=resource.type,
        name=resource.name,
        urn=resource.urn,
        properties={**resource.inputs, **resource.engine_inputs},
        provider=provider,
        parent=resource.parent_urn or None,
        dependencies=resource.dependencies,
        property_dependencies=resource.property_dependencies,
    )


__all__ = [
    "PACK_FOLDER",
    "AnalyzerError",
    "CheckConfigError",
    "CheckSession",
    "run_check",
    "stack_pack_config",
]
