"""Where a production fine-tuning job uploads: the endpoint of the stack's account, and nowhere else.

The FineTuningJob provider would honour `FTSTACK_FINE_TUNING_ENDPOINT` (meant for the emulator) at
`pulumi up` time, out of every other rule's sight. The engine starts the policy pack with the same
environment as the providers, so the pack sees the variable and refuses it in production; and each job's
endpoint must take its value from an account of the stack, not a literal URL.
"""

from __future__ import annotations

import os

from pulumi_policy import ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ftstack.check.policy_settings import FINE_TUNING_ENDPOINT

from .resources import ACCOUNT, fine_tuning_jobs, peek, text, through
from .settings import flag, schema

# ftstack/fine_tuning/client.py ENDPOINT_ENV (a test keeps them equal); named here so the pack never
# imports the data-plane client.
ENDPOINT_OVERRIDE_ENV = "FTSTACK_FINE_TUNING_ENDPOINT"


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not flag(args.get_config(), FINE_TUNING_ENDPOINT, "production"):
        return
    jobs = fine_tuning_jobs(args.resources)
    override = os.environ.get(ENDPOINT_OVERRIDE_ENV)
    for job in jobs:
        if override:
            report_violation(
                f"fine-tuning job {job.name!r} would upload to {override} ({ENDPOINT_OVERRIDE_ENV} is set), not "
                f"to its account. Fix: unset {ENDPOINT_OVERRIDE_ENV}; production jobs use the stack's account.",
                job.urn,
            )
        if through(job, "endpoint", ACCOUNT) is None:
            shown = text(peek(job.props, "endpoint")) or "not set"
            report_violation(
                f"fine-tuning job {job.name!r} takes its endpoint ({shown}) from something other than an account "
                "of this stack. Fix: pass the account's endpoint output (the platform component does).",
                job.urn,
            )


endpoint_from_stack = StackValidationPolicy(
    name=FINE_TUNING_ENDPOINT,
    description="Production fine-tuning jobs upload to the endpoint of the stack's account, never to one "
    "taken from an environment variable or a literal URL.",
    validate=_validate,
    config_schema=schema(FINE_TUNING_ENDPOINT),
    severity=Severity.HIGH,
    remediation_steps=f"Unset {ENDPOINT_OVERRIDE_ENV} for production runs and take each job's endpoint from the "
    "account resource.",
)
