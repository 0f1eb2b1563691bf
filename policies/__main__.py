"""The ftstack policy pack: builds the PolicyPack and nothing else (constructing it serves and blocks)."""

from ftstack_policies import PACK_DESCRIPTION, PACK_NAME, all_policies  # type: ignore[import-not-found]
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
)
