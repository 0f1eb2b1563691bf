"""A soft-deleted account name, explained: what ARM's refusal means and the two ways on.

Deleting a Cognitive Services account (a `pulumi destroy`, or a replace, which is delete-first for a named
account) only soft-deletes it: the name stays taken for 48 hours, with its fine-tuned models inside. ARM
then refuses to create that name again (code FlagMustBeSetForRestore) unless the request restores it.
The program cannot see a soft-deleted name before it asks (azure-native has no lookup for it), so the
refusal comes from the provider during `up`; this module turns it into the stack's own terms.
"""

from __future__ import annotations

from ftstack.config.problems import ConfigProblem
from ftstack.config.schema import EnvironmentConfig

SOFT_DELETED_CODE = "FlagMustBeSetForRestore"


def soft_delete_advice(env: EnvironmentConfig) -> ConfigProblem:
    """The stack's way out of a soft-deleted account name: restore it, or purge it first."""
    account = env.account
    purge = (
        f"az cognitiveservices account purge --name {account.name} "
        f"--resource-group {account.resource_group.name} --location {account.region}"
    )
    return ConfigProblem(
        "account.name",
        f"{account.name!r} is soft-deleted (an earlier destroy or replace deleted it; Azure keeps the name for "
        "48 hours); set account.restore: true to bring it back with its fine-tuned models, or purge it "
        f"first, which deletes those models for good: {purge}",
    )


def explain_deploy_failure(output: str, env: EnvironmentConfig, source: str | None = None) -> list[str]:
    """The advice line(s) for a failed `pulumi up` whose output shows ARM's soft-delete refusal; else []."""
    if SOFT_DELETED_CODE not in output:
        return []
    return [soft_delete_advice(env).render(source)]
