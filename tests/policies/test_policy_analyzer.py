"""The pack through the real analyzer process (`python -m pulumi.policy`), configured the way the CLI does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ftstack.check.analyzer import AnalyzedResource, Analyzer, AnalyzerError, PolicyConfigError
from ftstack.check.policy_settings import POLICY_NAMES, pack_config
from ftstack.config import load_environment
from tests.policies.policy_args import (
    ACCOUNT,
    DEPLOYMENT,
    JOB,
    deployment,
    job,
    secure_account,
    urn,
    with_properties,
)

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Analyzer]:
    with Analyzer(ROOT / "policies", python_path=[ROOT]) as running:
        yield running


def _configure(analyzer: Analyzer, stack: str) -> None:
    _, env = load_environment(stack, ROOT)
    analyzer.configure(pack_config(env))


def _account(props: dict) -> AnalyzedResource:
    return AnalyzedResource(ACCOUNT, "acct", urn(ACCOUNT, "acct"), props)


def _deployment_on(account: AnalyzedResource, sku: str) -> AnalyzedResource:
    return AnalyzedResource(
        DEPLOYMENT,
        "dep",
        urn(DEPLOYMENT, "dep"),
        deployment(sku=sku),
        dependencies=[account.urn],
        property_dependencies={"accountName": [account.urn]},
    )


def test_the_analyzer_describes_every_policy_with_severity_and_config_defaults(analyzer):
    info = analyzer.info()
    assert info.name == "ftstack-policies"
    assert [p.name for p in info.policies] == list(POLICY_NAMES)
    kinds = {p.name: p.kind for p in info.policies}
    assert (
        kinds["network-private-endpoint"] == "stack" and kinds["identity-local-auth-disabled"] == "resource"
    )
    sku = info.policy("residency-deployment-sku")
    assert sku is not None and sku.severity == "high"
    assert sku.config_schema["allowedDeploymentSkus"]["default"] == [
        "Standard",
        "ProvisionedManaged",
        "DataZoneStandard",
    ]


def test_a_global_standard_deployment_is_a_mandatory_violation_in_prod_eu(analyzer):
    _configure(analyzer, "prod-eu")
    account = _account(secure_account())
    found = analyzer.analyze_stack([account, _deployment_on(account, "GlobalStandard")])
    sku = [d for d in found if d.policy == "residency-deployment-sku"]
    assert sku and all(d.level == "mandatory" and d.urn == urn(DEPLOYMENT, "dep") for d in sku)
    assert "GlobalStandard gives no data residency" in " ".join(d.message for d in sku)


def test_the_same_resource_is_only_advisory_in_dev_but_capability_stays_mandatory(analyzer):
    _configure(analyzer, "dev")
    props = with_properties(secure_account(location="eastus2"), disableLocalAuth=False)
    account = _account(props)
    found = analyzer.analyze(account)
    assert [(d.policy, d.level) for d in found] == [("identity-local-auth-disabled", "advisory")]
    refused = AnalyzedResource(
        JOB,
        "job",
        urn(JOB, "job"),
        job(),
        dependencies=[account.urn],
        property_dependencies={"endpoint": [account.urn]},
    )
    stack = analyzer.analyze_stack([account, refused])
    assert [(d.policy, d.level) for d in stack] == [("capability-fine-tuning-job", "mandatory")]


def test_a_value_unknown_during_preview_never_fails_a_policy(analyzer):
    _configure(analyzer, "prod-eu")
    props = with_properties(secure_account(location=UNKNOWN_STRING), publicNetworkAccess=UNKNOWN_STRING)
    found = analyzer.analyze(_account(props))
    assert found, "the analyzer says which policies could not run"
    assert all(d.level == "advisory" and "can't be known during preview" in d.message for d in found)
    assert {d.policy for d in found} == {"residency-allowed-locations", "network-public-access-disabled"}
    unknown_job = AnalyzedResource(JOB, "job", urn(JOB, "job"), job(training=UNKNOWN_STRING))
    stack = analyzer.analyze_stack([unknown_job])
    reading = [d for d in stack if d.policy in ("capability-fine-tuning-job", "residency-training-type")]
    assert reading and all(d.level == "advisory" for d in reading)


def test_a_disabled_policy_does_not_run(analyzer):
    config = {"all": "mandatory", "identity-local-auth-disabled": {"enforcementLevel": "disabled"}}
    analyzer.configure(config)
    found = analyzer.analyze(_account(with_properties(secure_account(), disableLocalAuth=False)))
    assert found == []


def test_schema_defaults_fill_in_what_the_config_leaves_out(analyzer):
    analyzer.configure({"all": "mandatory", "network-private-endpoint": "disabled"})
    account = _account(secure_account())
    found = analyzer.analyze_stack([account, _deployment_on(account, "DeveloperTier")])
    sku = [d for d in found if d.policy == "residency-deployment-sku"]
    assert len(sku) == 1 and "DeveloperTier is not allowed" in sku[0].message
    # Defaults are a production stack's: one with no baseline (this test stack) fails closed.
    assert "production-baseline" in {d.policy for d in found}


def test_a_config_that_does_not_fit_the_schemas_is_refused_with_every_problem(analyzer):
    config = {"all": "strict", "deployment-capacity": {"maxCapacity": "lots"}, "no-such-policy": "advisory"}
    with pytest.raises(PolicyConfigError) as refused:
        analyzer.configure(config)
    text = "\n".join(refused.value.problems)
    assert "'no-such-policy'" in text and "'strict'" in text and "deployment-capacity.maxCapacity" in text


def test_a_pack_that_cannot_start_is_reported_with_its_error(tmp_path):
    (tmp_path / "__main__.py").write_text('raise RuntimeError("the pack is broken")\n')
    with pytest.raises(AnalyzerError) as failed:
        Analyzer(tmp_path).start()
    assert str(failed.value).endswith("did not start: RuntimeError: the pack is broken")
