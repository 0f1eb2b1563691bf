"""The ftstack policy pack: builds the PolicyPack and nothing else (constructing it serves and blocks)."""

import importlib.util
import sys
from pathlib import Path

# Where `ftstack` is not installed (the pack's own venv, a published pack), its rules import the copy of
# the ftstack core that ships with the pack (policies/vendor/, written by scripts/sync_policy_pack.py).
if importlib.util.find_spec("ftstack") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "vendor"))

from ftstack_policies import PACK_DESCRIPTION, PACK_NAME, all_policies  # type: ignore[import-not-found]
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
)
