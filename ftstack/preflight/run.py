"""Run the preflight for a stack: load its config, read Azure through a reader, compare, report."""

from __future__ import annotations

from pathlib import Path

from ftstack.catalog import load_regions
from ftstack.catalog.service_limits import load_service_limits
from ftstack.config.schema import EnvironmentConfig
from ftstack.preflight.checks import Outcome, check_account_limits, check_deployments
from ftstack.preflight.demand import stack_demand
from ftstack.preflight.findings import PreflightReport, Source
from ftstack.preflight.reader import QuotaReader
from ftstack.preflight.room import QuotaView


def run_preflight(
    stack: str,
    env: EnvironmentConfig,
    project_dir: Path,
    reader: QuotaReader,
    source: Source,
    subscription: str | None = None,
) -> PreflightReport:
    """The preflight report of `env`: every shortfall with what would work, and what could not be checked.
    Raises PreflightReadError (CredentialError when signing in failed) when Azure cannot be read."""
    region = load_regions().get(env.account.region).name
    demand = stack_demand(env, project_dir)
    view = QuotaView(reader)
    account = reader.account(env.account.resource_group.name, env.account.name)
    out = Outcome()
    check_deployments(view, env, demand, account, out)
    check_account_limits(load_service_limits(), env, demand, account, out)
    return PreflightReport(
        stack=stack,
        region=region,
        subscription=subscription,
        source=source,
        findings=out.findings,
        not_checked=out.not_checked,
        fits=out.fits,
    )
