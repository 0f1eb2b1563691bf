"""A Pulumi program that bypasses the platform: an account and a FineTuningJob written by hand.

Copied over a project's `__main__.py` to show that the policy pack checks resources however they were
declared. The job trains gpt-4o-mini with standard training in East US 2, which the matrix refuses.
"""

import pulumi_azure_native as azure_native

from components.fine_tuning_job import FineTuningJob, FineTuningJobArgs

cognitive = azure_native.cognitiveservices
account = cognitive.Account(
    "rogue-account",
    account_name="rogue-account",
    resource_group_name="rg-rogue",
    location="eastus2",
    kind="OpenAI",
    sku=cognitive.SkuArgs(name="S0"),
    identity=cognitive.IdentityArgs(type=cognitive.ResourceIdentityType.SYSTEM_ASSIGNED),
    properties=cognitive.AccountPropertiesArgs(
        custom_sub_domain_name="rogue-account",
        disable_local_auth=True,
        public_network_access="Disabled",
        network_acls=cognitive.NetworkRuleSetArgs(default_action="Deny"),
    ),
)
FineTuningJob(
    "rogue-job",
    FineTuningJobArgs(
        endpoint=account.properties.endpoint,
        base_model="gpt-4o-mini",
        model_version="2024-07-18",
        training_type="standard",
        training_file="examples/support-chat/training.jsonl",
    ),
)
