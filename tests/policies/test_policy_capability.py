"""The capability policy: every FineTuningJob, declared by the components or by hand, fits the matrix."""

from __future__ import annotations

from components.fine_tuning_job import TYPE_TOKEN
from policies.ftstack_policies import capability
from policies.ftstack_policies.resources import FINE_TUNING_JOB_TYPE
from tests.policies.policy_args import ACCOUNT, JOB, job, resource, secure_account, violations_of_stack


def _on_account(location: str, **job_inputs: object) -> list:
    account = resource(ACCOUNT, "acct", secure_account(location=location))
    return [account, resource(JOB, "job", job(**job_inputs), [account], {"endpoint": [account]})]


def test_the_policy_matches_the_type_token_of_the_fine_tuning_job_resource():
    assert FINE_TUNING_JOB_TYPE == TYPE_TOKEN


def test_a_job_where_the_matrix_allows_it_passes():
    assert violations_of_stack(capability.fine_tuning_job, _on_account("swedencentral")) == []


def test_a_job_in_a_region_the_matrix_refuses_is_reported_with_the_alternatives():
    found = violations_of_stack(capability.fine_tuning_job, _on_account("eastus2"))
    assert len(found) == 1
    message, urn = found[0]
    assert "gpt-4o-mini (2024-07-18) cannot be trained with standard training in eastus2" in message
    assert (
        "Fix: train it where the matrix allows (standard training in northcentralus, swedencentral" in message
    )
    assert urn is not None and urn.endswith("::job")


def test_global_training_needs_a_model_that_offers_it():
    found = violations_of_stack(capability.fine_tuning_job, _on_account("francecentral", training="global"))
    assert found and "global training is not offered for gpt-4o-mini" in found[0][0]


def test_a_justified_override_allows_a_region_the_matrix_does_not_list():
    override = {
        "model": "gpt-4o-mini",
        "version": "2024-07-18",
        "region": "eastus2",
        "training": "standard",
        "justification": "enabled for our subscription by Microsoft support case 123",
    }
    config = {"capabilityOverrides": [override]}
    assert violations_of_stack(capability.fine_tuning_job, _on_account("eastus2"), config) == []


def test_an_unknown_model_is_refused_naming_the_models_that_exist():
    found = violations_of_stack(capability.fine_tuning_job, _on_account("swedencentral", model="gpt-9"))
    assert found and "unknown model 'gpt-9'" in found[0][0] and "gpt-4o-mini" in found[0][0]


def test_the_azure_base_model_spelling_without_a_version_is_understood():
    jobs = _on_account("swedencentral", model="gpt-4o-mini-2024-07-18")
    del jobs[1].props["model_version"]
    assert violations_of_stack(capability.fine_tuning_job, jobs) == []


def test_a_hand_written_job_with_no_region_and_no_account_is_refused():
    found = violations_of_stack(capability.fine_tuning_job, [resource(JOB, "job", job())])
    assert found and "is not the endpoint of an account declared in this stack" in found[0][0]
