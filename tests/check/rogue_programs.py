"""Additions to a copied project's `__main__.py`: resources a reviewer might slip past the platform.

Each snippet runs after the platform is built (the program's `platform` is in scope) and declares one
resource by hand, the way a pull request could. `add_to_program` appends one to a copied project.
"""

from __future__ import annotations

from pathlib import Path

_PRELUDE = """
import pulumi
import pulumi_azure_native as azure_native
from components.fine_tuning_job import FineTuningJob, FineTuningJobArgs, FineTuningJobProvider, provider_inputs
from pulumi.dynamic import Resource as DynamicResource

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"
ROGUE_ACCOUNT_PROPERTIES = {
    "customSubDomainName": "rogue",
    "disableLocalAuth": True,
    "publicNetworkAccess": "Disabled",
    "networkAcls": {"defaultAction": "Deny"},
    "restrictOutboundNetworkAccess": True,
}
"""

CLASSIC_ACCOUNT = """
pulumi.CustomResource(
    "azure:cognitive/account:Account",
    "classic-account",
    {"name": "classic", "location": "swedencentral", "kindName": "OpenAI", "skuName": "S0",
     "resourceGroupName": "rg-ftstack-prod-eu", "publicNetworkAccessEnabled": True},
)
"""

GENERIC_RESOURCE = """
azure_native.resources.Resource(
    "generic-account",
    resource_name_="generic",
    resource_group_name="rg-ftstack-prod-eu",
    resource_provider_namespace="Microsoft.CognitiveServices",
    resource_type="accounts",
    parent_resource_path="",
    api_version="2024-10-01",
    location="swedencentral",
    kind="OpenAI",
    properties={"publicNetworkAccess": "Enabled"},
)
"""

TEMPLATE_DEPLOYMENT = """
azure_native.resources.Deployment(
    "template",
    resource_group_name="rg-ftstack-prod-eu",
    properties={"mode": "Incremental", "template": {"resources": [{"type": "Microsoft.CognitiveServices/accounts",
        "name": "templated", "location": "eastus", "kind": "OpenAI", "apiVersion": "2024-10-01"}]}},
)
"""

RENAMED_JOB = """
_args = FineTuningJobArgs(
    endpoint=platform.endpoint, base_model="gpt-4o-mini", model_version="2024-07-18",
    training_type="standard", training_file="examples/support-chat/training.jsonl",
)
class Renamed(DynamicResource, module="sidecar", name="Uploader"):
    pass


Renamed(FineTuningJobProvider(), "renamed-job", provider_inputs("renamed-job", _args))
"""

WORKSPACE_WITHOUT_LOCATION = """
azure_native.operationalinsights.Workspace(
    "law-nowhere", workspace_name="law-nowhere", resource_group_name="rg-ftstack-prod-eu",
    sku={"name": "PerGB2018"},
)
"""

GROUP_WITHOUT_LOCATION = """
azure_native.resources.ResourceGroup("rg-default-location", resource_group_name="rg-default-location")
"""

TRANSLATOR_AT_GLOBAL = """
azure_native.cognitiveservices.Account(
    "translator", account_name="translator", resource_group_name="rg-ftstack-prod-eu", location="global",
    kind="TextTranslation", sku={"name": "S1"}, identity={"type": "SystemAssigned"},
    properties=ROGUE_ACCOUNT_PROPERTIES,
)
"""

SPELLED_LOCATION = """
azure_native.operationalinsights.Workspace(
    "law-spelled", workspace_name="law-spelled", resource_group_name="rg-ftstack-prod-eu",
    location="Sweden Central ", sku={"name": "PerGB2018"},
)
"""

DEPLOYMENT_ON_ANOTHER_ACCOUNT = """
azure_native.cognitiveservices.Deployment(
    "elsewhere", account_name="ftstack-prod-us", resource_group_name="rg-ftstack-prod-us",
    deployment_name="elsewhere", sku={"name": "Standard", "capacity": 10},
    properties={"model": {"format": "OpenAI", "name": "gpt-4o-mini-2024-07-18.ft-abc", "version": "1"},
                "versionUpgradeOption": "NoAutoUpgrade"},
)
"""

JOB_WITH_A_REGION_OF_ITS_OWN = """
_args = FineTuningJobArgs(
    endpoint="https://ftstack-prod-us.openai.azure.com/", base_model="gpt-4o-mini", model_version="2024-07-18",
    training_type="standard", training_file="examples/support-chat/training.jsonl",
)
class RegionalJob(DynamicResource, module="ftstack", name="FineTuningJob"):
    pass


RegionalJob(FineTuningJobProvider(), "us-job", {**provider_inputs("us-job", _args), "region": "swedencentral"})
"""

DECOY_PRIVATE_ENDPOINT = """
azure_native.network.PrivateEndpoint(
    "decoy", private_endpoint_name="decoy", resource_group_name="rg-ftstack-prod-eu", location="swedencentral",
    subnet={"id": SUBSCRIPTION + "/resourceGroups/rg-net-eu/providers/Microsoft.Network/virtualNetworks/v/subnets/s"},
    private_link_service_connections=[{
        "name": "decoy",
        "private_link_service_id": SUBSCRIPTION + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x",
        "group_ids": ["blob"],
    }],
    opts=pulumi.ResourceOptions(depends_on=[platform.account.account]),
)
"""

OWNER_ON_THE_SUBSCRIPTION = """
azure_native.authorization.RoleAssignment(
    "owner", role_assignment_name="00000000-0000-0000-0000-0000000000ff", scope=SUBSCRIPTION,
    principal_id="00000000-0000-0000-0000-00000000e003", principal_type="User",
    role_definition_id=SUBSCRIPTION + "/providers/Microsoft.Authorization/roleDefinitions/"
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
)
"""

PREVIEW_API_ACCOUNT = """
pulumi.CustomResource(
    "azure-native:cognitiveservices/v20250401preview:Account",
    "preview-account",
    {"accountName": "preview", "resourceGroupName": "rg-ftstack-prod-eu", "location": "swedencentral",
     "kind": "OpenAI", "sku": {"name": "S0"}, "identity": {"type": "SystemAssigned"},
     "properties": ROGUE_ACCOUNT_PROPERTIES},
)
"""


def add_to_program(project: Path, *snippets: str) -> Path:
    """`project` with the snippets appended to its program."""
    program = project / "__main__.py"
    program.write_text(program.read_text(encoding="utf-8") + _PRELUDE + "".join(snippets), encoding="utf-8")
    return project
