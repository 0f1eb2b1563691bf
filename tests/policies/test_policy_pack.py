"""The pack as a whole: its metadata, its settings, and robustness on any input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from ftstack.check.policy_settings import POLICY_NAMES, config_schemas
from policies.ftstack_policies import PACK_NAME, all_policies
from tests.policies.policy_args import (
    ACCOUNT,
    DEPLOYMENT,
    JOB,
    PRIVATE_ENDPOINT,
    resource,
    violations_of_resource,
    violations_of_stack,
)

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
TYPES = (ACCOUNT, DEPLOYMENT, PRIVATE_ENDPOINT, JOB, "azure-native:resources:ResourceGroup")
SHAPES = (
    {},
    {"properties": None, "sku": "S0", "identity": [], "location": 7},
    {"properties": {"networkAcls": "x", "encryption": 3}, "sku": {"capacity": "ten"}, "training_type": 1},
)


def test_the_pack_file_names_the_pack_and_its_version():
    meta = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert meta["name"] == PACK_NAME
    assert meta["runtime"]["name"] == "python"
    assert str(meta["version"]).count(".") == 2


def test_every_policy_has_a_description_a_severity_remediation_and_schema_defaults():
    policies = all_policies()
    assert [p.name for p in policies] == list(POLICY_NAMES)
    for policy in policies:
        assert policy.description and policy.severity is not None and policy.remediation_steps, policy.name
        for prop, schema in config_schemas()[policy.name].items():
            assert "default" in schema, f"{policy.name}.{prop}"


@pytest.mark.parametrize("policy", all_policies(), ids=lambda p: p.name)
def test_no_policy_crashes_on_missing_or_odd_properties(policy):
    for type_ in TYPES:
        for shape in SHAPES:
            if isinstance(policy, ResourceValidationPolicy):
                violations_of_resource(policy, type_, shape)
            else:
                assert isinstance(policy, StackValidationPolicy)
                violations_of_stack(policy, [resource(type_, "r", shape)])
