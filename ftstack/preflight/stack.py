"""The preflight of one stack by name: its config loaded and validated, its subscription found, the
reader chosen. The CLI, `ftstack local up` and the check report all start here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftstack.config import ConfigError, StackFileError, load_environment
from ftstack.preflight.findings import PreflightReport, Source
from ftstack.preflight.reader import QuotaReader
from ftstack.preflight.sources import stack_subscription


class PreflightUsageError(ValueError):
    """The stack cannot be preflighted as asked (unknown stack, invalid config, no subscription); one line
    per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = lines


def preflight_stack(
    stack: str,
    project_dir: Path,
    make_reader: Callable[[str], QuotaReader],
    source: Source,
    subscription: str | None = None,
    default_subscription: str | None = None,
) -> PreflightReport:
    """The report of `stack`; `make_reader` gets the subscription to read (`subscription`, else the stack's
    azure-native:subscriptionId, else `default_subscription`). PreflightUsageError for a stack that cannot
    be read; PreflightReadError (CredentialError) when Azure cannot be."""
    try:
        config, env = load_environment(stack, project_dir)
    except StackFileError as exc:
        raise PreflightUsageError([str(exc)]) from None
    except ConfigError as exc:
        raise PreflightUsageError(exc.lines()) from None
    chosen = stack_subscription(config, subscription) or default_subscription
    if chosen is None:
        raise PreflightUsageError(
            [
                f"no subscription for stack {stack}: pass --subscription ID, set AZURE_SUBSCRIPTION_ID, or set "
                "azure-native:subscriptionId in the stack's config"
            ]
        )
    reader = make_reader(chosen)
    from ftstack.preflight.run import (
        run_preflight,
    )  # the checks and the facts they read: only once Azure is readable

    return run_preflight(stack, env, project_dir, reader, source, chosen)
