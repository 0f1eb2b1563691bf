"""The production baseline: a pull request may tighten a production stack's settings, never loosen them.

The pack reads the baseline from its own folder (`policies/baseline/<stack>.yaml`, owned by the code
owners), never from the stack, and compares it with the settings the stack's pack config carries (and with
the base branch's, when the config carries those). The stack is named by the engine's URNs. This policy is
always mandatory: no stack setting can lower it.
"""

from __future__ import annotations

from pathlib import Path

from pulumi_policy import ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ftstack.check.baseline import BaselineError, baseline_path, load_baseline, settings_from, weakenings
from ftstack.check.policy_settings import PRODUCTION_BASELINE

from .resources import mapping, stack_name, text
from .settings import schema, setting

PACK_DIR = Path(__file__).resolve().parents[1]


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    stack = stack_name(args.resources) or text(setting(config, PRODUCTION_BASELINE, "stack"))
    try:
        current = settings_from(mapping(setting(config, PRODUCTION_BASELINE, "settings")), "the pack config")
    except BaselineError as exc:
        report_violation(f"the stack's settings cannot be compared with a baseline: {exc}.", None)
        return
    if stack is None:
        if current.production:
            report_violation("the stack's name is not known, so no production baseline can be read.", None)
        return
    try:
        baseline = load_baseline(PACK_DIR, stack)
    except BaselineError as exc:
        report_violation(
            f"the production baseline cannot be read: {exc}. Fix: repair the baseline file.", None
        )
        return
    label = f"{PACK_DIR.name}/{baseline_path(PACK_DIR, stack).relative_to(PACK_DIR)}"
    if baseline is None and current.production:
        report_violation(
            f"production stack {stack!r} has no production baseline ({label}), so nothing stops a change from "
            f"loosening its settings. Fix: add {label} with its production settings, in a pull request the "
            "code owners approve.",
            None,
        )
    if baseline is not None and baseline.production:
        for weakening in weakenings(baseline, current):
            report_violation(weakening.message(label), None)
    base_ref = mapping(setting(config, PRODUCTION_BASELINE, "baseRef"))
    if base_ref.get("settings") is not None:
        ref = text(base_ref.get("ref")) or "the base branch"
        try:
            base = settings_from(mapping(base_ref.get("settings")), ref)
        except BaselineError as exc:
            report_violation(f"the base branch's settings cannot be read: {exc}.", None)
            return
        if base.production:
            for weakening in weakenings(base, current):
                report_violation(weakening.message(f"the stack file on {ref}"), None)


production_baseline = StackValidationPolicy(
    name=PRODUCTION_BASELINE,
    description="A production stack's residency and policy settings are at least as strict as its "
    "baseline (policies/baseline/<stack>.yaml) and its base branch.",
    validate=_validate,
    config_schema=schema(PRODUCTION_BASELINE),
    severity=Severity.CRITICAL,
    remediation_steps="Restore the setting named in the violation; to loosen a production stack on purpose, "
    "change policies/baseline/<stack>.yaml in a pull request the code owners approve.",
)
