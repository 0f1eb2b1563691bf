"""Rules of the account's encryption: a customer-managed key needs an identity that exists before the account.

ARM reads the key while it creates the account. A system-assigned identity is created with the account,
so it cannot have been granted the key yet; a user-assigned identity can, and the stack grants it (see
`components.account`) before the key is applied.
"""

from __future__ import annotations

from ftstack.config.problems import ConfigProblem
from ftstack.config.schema import EnvironmentConfig

USER_ASSIGNED = "UserAssigned"


def key_problems(env: EnvironmentConfig) -> list[ConfigProblem]:
    """A problem when a customer-managed key is set without a user-assigned identity to read it."""
    account = env.account
    if account.customer_managed_key is None or USER_ASSIGNED in account.identity.type:
        return []
    return [
        ConfigProblem(
            "account.identity.type",
            f"{account.identity.type!r} cannot read account.customerManagedKey when the account is created (a "
            "system-assigned identity only exists afterwards); use type: UserAssigned (or "
            "SystemAssigned,UserAssigned) with userAssignedIdentityIds, and give that identity's "
            "customerManagedKey.identityClientId and identityPrincipalId",
        )
    ]
