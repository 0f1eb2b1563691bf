"""Whether the FineTuningJob provider can reach the account's data plane from the deploy runner.

DESIGN.md: with public access disabled, jobs need a runner inside the VNet (through the private endpoint)
or an IP rule for the runner; the check report warns when jobs are declared and neither is configured.
"""

from __future__ import annotations

from ftstack.config.schema import EnvironmentConfig


def reachability_warnings(env: EnvironmentConfig) -> list[str]:
    """One line per way the deploy runner could fail to reach the account for the stack's jobs."""
    if not env.fine_tuning.jobs:
        return []
    access = env.network.runner_access
    account = env.account
    if access == "private-endpoint" and env.network.private_endpoint is None:
        return [
            "network.runnerAccess is private-endpoint but network.privateEndpoint is not set: the deploy runner "
            "cannot reach the account to submit fine-tuning jobs; add the private endpoint"
        ]
    if access == "ip-rule":
        if account.public_network_access == "Disabled":
            return [
                "network.runnerAccess is ip-rule but account.publicNetworkAccess is Disabled, so IP rules do not "
                "apply: run the deploy runner inside the VNet (runnerAccess: private-endpoint) instead"
            ]
        if not account.network_acls.ip_rules and account.network_acls.default_action == "Deny":
            return [
                "network.runnerAccess is ip-rule but account.networkAcls.ipRules is empty: add the deploy "
                "runner's address so it can submit fine-tuning jobs"
            ]
    if access == "none":
        return [
            f"{len(env.fine_tuning.jobs)} fine-tuning job(s) declared but network.runnerAccess is none: say how "
            "the deploy runner reaches the account (private-endpoint: a runner inside the VNet; ip-rule: an "
            "account.networkAcls.ipRules entry for the runner), or jobs cannot be submitted"
        ]
    return []
