"""Relations, not declarations: a job trains on its account, an endpoint protects the account it targets,
a deployment serves where the account it names is, and any dynamic resource running the job provider is a
job."""

from __future__ import annotations

import base64
import pickle

from pulumi.dynamic.dynamic import serialize_provider

from components.fine_tuning_job import FineTuningJobProvider
from ftstack.fine_tuning.client import ENDPOINT_ENV
from policies.ftstack_policies import capability, network, residency
from policies.ftstack_policies.dynamic import runs_fine_tuning_job_provider
from policies.ftstack_policies.job_endpoint import ENDPOINT_OVERRIDE_ENV
from tests.policies.policy_args import (
    ACCOUNT,
    DEPLOYMENT,
    JOB,
    PRIVATE_ENDPOINT,
    deployment,
    job,
    resource,
    secure_account,
    violations_of_stack,
)

EU = {"allowedGeographies": ["EU"]}
ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct"


def test_a_region_input_on_the_job_is_ignored_in_favour_of_its_account():
    account = resource(ACCOUNT, "acct", secure_account(location="eastus2"))
    lying = resource(JOB, "job", job(region="swedencentral"), [account], {"endpoint": [account]})
    found = violations_of_stack(capability.fine_tuning_job, [account, lying])
    assert found and "cannot be trained with standard training in eastus2" in found[0][0]


def test_a_job_whose_endpoint_names_the_stack_account_by_subdomain_is_placed_there():
    account = resource(ACCOUNT, "acct", secure_account(location="eastus2"))
    literal = resource(JOB, "job", job(endpoint="https://acct.openai.azure.com/"))
    found = violations_of_stack(capability.fine_tuning_job, [account, literal])
    assert found and "in eastus2" in found[0][0]


def test_the_job_provider_is_recognised_in_its_pickle_without_running_it():
    assert runs_fine_tuning_job_provider(serialize_provider(FineTuningJobProvider()))
    other = base64.b64encode(pickle.dumps(ValueError("x"))).decode()
    assert not runs_fine_tuning_job_provider(other)
    assert not runs_fine_tuning_job_provider("not base64 at all!")


def test_the_pack_names_the_same_endpoint_variable_as_the_client():
    assert ENDPOINT_OVERRIDE_ENV == ENDPOINT_ENV


def _endpoint(connection: dict, deps: dict | None = None, depends_on: list | None = None):
    return resource(
        PRIVATE_ENDPOINT,
        "pe",
        {"privateLinkServiceConnections": [connection]},
        depends_on or [],
        deps or {},
    )


def test_an_endpoint_counts_when_its_connection_targets_the_account_id_with_group_account():
    account = resource(ACCOUNT, "acct", secure_account())
    endpoint = _endpoint({"privateLinkServiceId": ACCOUNT_ID, "groupIds": ["account"]})
    assert violations_of_stack(network.private_endpoint, [account, endpoint]) == []


def test_an_endpoint_to_another_target_or_group_does_not_count_even_if_it_depends_on_the_account():
    account = resource(ACCOUNT, "acct", secure_account())
    elsewhere = _endpoint(
        {
            "privateLinkServiceId": ACCOUNT_ID.replace("accounts/acct", "accounts/other"),
            "groupIds": ["account"],
        },
        depends_on=[account],
    )
    wrong_group = _endpoint({"privateLinkServiceId": ACCOUNT_ID, "groupIds": ["blob"]})
    for endpoint in (elsewhere, wrong_group):
        found = violations_of_stack(network.private_endpoint, [account, endpoint])
        assert found and "has no private endpoint" in found[0][0]


def test_a_deployment_on_an_account_the_stack_does_not_declare_is_refused():
    orphan = resource(DEPLOYMENT, "dep", {**deployment(), "accountName": "someone-elses"})
    found = violations_of_stack(residency.deployment_sku, [orphan], EU)
    assert found and "'someone-elses', which is not an account declared in this stack" in found[0][0]


def test_a_deployment_naming_the_stack_account_literally_is_checked_against_it():
    in_eu = resource(ACCOUNT, "acct", secure_account(location="swedencentral"))
    in_us = resource(ACCOUNT, "acct", secure_account(location="eastus2"))
    named = resource(DEPLOYMENT, "dep", deployment(sku="DataZoneStandard"))
    assert violations_of_stack(residency.deployment_sku, [in_eu, named], EU) == []
    found = violations_of_stack(residency.deployment_sku, [in_us, named], EU)
    assert found and "keeps data in the US data zone of eastus2" in found[0][0]


def test_eu_remediation_never_suggests_data_zone_standard():
    account = resource(ACCOUNT, "acct", secure_account(location="swedencentral"))
    config = {**EU, "allowedDeploymentSkus": ["Standard", "DataZoneStandard", "GlobalStandard"]}
    found = violations_of_stack(
        residency.deployment_sku,
        [
            account,
            resource(
                DEPLOYMENT, "dep", deployment(sku="GlobalStandard"), [account], {"accountName": [account]}
            ),
        ],
        config,
    )
    message = " ".join(m for m, _ in found)
    assert (
        "Fix: use Standard." in message
        and "DataZoneStandard" not in message.split("gives no data residency")[1]
    )
