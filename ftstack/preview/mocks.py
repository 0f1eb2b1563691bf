"""Pulumi mocks that answer like Azure would: echoed inputs, ARM ids, an account endpoint, a trained job.

In preview mode, what the provider computes (ids, the endpoint, a job's model and checkpoints) is
unknown, as in a real first `pulumi preview`; in update mode it is a realistic, deterministic value.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pulumi
from pulumi.runtime.rpc import UNKNOWN

MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
MOCK_TENANT = "00000000-0000-0000-0000-0000000000bb"
MOCK_CLIENT = "00000000-0000-0000-0000-0000000000cc"
FINE_TUNING_JOB = "pulumi-python:dynamic/ftstack:FineTuningJob"
CLIENT_CONFIG = "azure-native:authorization:getClientConfig"

_GROUP = "/subscriptions/{subscription}/resourceGroups/{resourceGroupName}"
# type -> (ARM id template over the inputs, the input that names the resource)
ARM_IDS: dict[str, tuple[str, str]] = {
    "azure-native:resources:ResourceGroup": (_GROUP, "resourceGroupName"),
    "azure-native:cognitiveservices:Account": (
        _GROUP + "/providers/Microsoft.CognitiveServices/accounts/{accountName}",
        "accountName",
    ),
    "azure-native:cognitiveservices:Deployment": (
        _GROUP + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/deployments/{deploymentName}",
        "deploymentName",
    ),
    "azure-native:network:PrivateEndpoint": (
        _GROUP + "/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}",
        "privateEndpointName",
    ),
    "azure-native:network:PrivateDnsZoneGroup": (
        _GROUP
        + "/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}"
        + "/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateDnsZoneGroupName",
    ),
    "azure-native:privatedns:PrivateZone": (
        _GROUP + "/providers/Microsoft.Network/privateDnsZones/{privateZoneName}",
        "privateZoneName",
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        _GROUP
        + "/providers/Microsoft.Network/privateDnsZones/{privateZoneName}"
        + "/virtualNetworkLinks/{virtualNetworkLinkName}",
        "virtualNetworkLinkName",
    ),
    "azure-native:authorization:RoleAssignment": (
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
        "roleAssignmentName",
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}",
        "name",
    ),
    "azure-native:operationalinsights:Workspace": (
        _GROUP + "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}",
        "workspaceName",
    ),
}

# A job's validation loss per deployable checkpoint: falls, then rises (the middle one is best).
VALIDATION_LOSS = (0.412, 0.287, 0.331)
STEPS_PER_EPOCH = 100


class AzureMocks(pulumi.runtime.Mocks):
    """Mocks answering resource registrations and invokes the way azure-native and the job provider would."""

    def __init__(self, stack: str, preview: bool):
        self.stack = stack
        self.preview = preview

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Invoke results: the client config (subscription, tenant); nothing else is invoked."""
        if args.token == CLIENT_CONFIG:
            config = {
                "clientId": MOCK_CLIENT,
                "objectId": MOCK_CLIENT,
                "subscriptionId": MOCK_SUBSCRIPTION,
                "tenantId": MOCK_TENANT,
            }
            return config, []
        return {}, []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """(id, outputs) of one registration: inputs echoed, plus what the provider would compute."""
        if not args.custom:
            return None, {}
        outputs = dict(args.inputs)
        if args.typ == FINE_TUNING_JOB:
            return self._job(args, outputs)
        template, name_key = ARM_IDS.get(args.typ, ("", ""))
        outputs["name"] = args.inputs.get(name_key, args.name) if name_key else args.name
        if args.typ == "azure-native:cognitiveservices:Account":
            outputs.update(self._account(args.inputs))
        if self.preview:
            return None, outputs  # ids are known only once the resource exists
        return _arm_id(template, args.inputs) if template else f"{args.name}-id", outputs

    def _account(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The account's computed properties: endpoint, provisioning state, identity principal."""
        properties = dict(inputs.get("properties") or {})
        identity = dict(inputs.get("identity") or {})
        subdomain = properties.get("customSubDomainName") or inputs.get("accountName")
        # Input: a list of identity ids; output: a map of id -> {principalId, clientId}.
        identity["userAssignedIdentities"] = {
            str(identity_id): {} if self.preview else _principal(f"{self.stack}/{identity_id}")
            for identity_id in identity.get("userAssignedIdentities") or []
        }
        if self.preview:
            properties["endpoint"] = UNKNOWN
            identity["principalId"] = UNKNOWN
        else:
            properties["endpoint"] = f"https://{subdomain}.openai.azure.com/"
            properties["provisioningState"] = "Succeeded"
            identity["principalId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.stack}/{subdomain}"))
            identity["tenantId"] = MOCK_TENANT
        return {"properties": properties, "identity": identity}

    def _job(
        self, args: pulumi.runtime.MockResourceArgs, outputs: dict[str, Any]
    ) -> tuple[str | None, dict[str, Any]]:
        """A succeeded job with a fine-tuned model and 3 checkpoints (unknown in preview)."""
        if self.preview:
            return None, outputs
        inputs = args.inputs
        digest = hashlib.sha256(
            f"{self.stack}/{args.name}/{inputs.get('base_model')}/{inputs.get('training_file_sha256')}".encode()
        ).hexdigest()
        job_id = f"ftjob-{digest[32:]}"
        model = f"{inputs.get('base_model')}-{inputs.get('model_version')}.ft-{digest[:32]}"
        epochs = _epochs(inputs.get("hyperparameters"))
        validated = bool(inputs.get("validation_file"))
        checkpoints = []
        for offset, loss in enumerate(VALIDATION_LOSS):
            step = (epochs - len(VALIDATION_LOSS) + 1 + offset) * STEPS_PER_EPOCH
            metrics: dict[str, float] = {
                "step": float(step),
                "train_loss": round(loss * 0.8, 4),
                "train_mean_token_accuracy": round(0.95 - loss / 2, 4),
            }
            if validated:
                metrics |= {
                    "valid_loss": loss,
                    "valid_mean_token_accuracy": round(0.9 - loss / 2, 4),
                    "full_valid_loss": round(loss + 0.01, 4),
                    "full_valid_mean_token_accuracy": round(0.89 - loss / 2, 4),
                }
            checkpoints.append(
                {
                    "id": f"ftchkpt-{hashlib.sha256(f'{digest}/{step}'.encode()).hexdigest()[:32]}",
                    "step": step,
                    "metrics": metrics,
                    "fine_tuned_model_checkpoint": f"{model}:ckpt-step-{step}",
                }
            )
        outputs |= {
            "job_id": job_id,
            "status": "succeeded",
            "fine_tuned_model": model,
            "trained_tokens": 1000 * epochs,
            "checkpoints": checkpoints,
            "result_files": [f"file-{digest[:32]}"],
            "training_file_id": f"file-{digest[8:40]}",
            "validation_file_id": f"file-{digest[16:48]}" if validated else None,
        }
        return job_id, outputs


def _principal(seed: str) -> dict[str, str]:
    """A managed identity's deterministic principal and client ids."""
    return {
        "principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"principal/{seed}")),
        "clientId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"client/{seed}")),
    }


def _epochs(hyperparameters: object) -> int:
    """The job's epoch count when a number is set, else 3 (the deployable checkpoints need 3)."""
    value = hyperparameters.get("n_epochs") if isinstance(hyperparameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(int(value), len(VALIDATION_LOSS))
    return len(VALIDATION_LOSS)


def _arm_id(template: str, inputs: dict[str, Any]) -> str:
    """The ARM id of a resource from its path inputs, in the mock subscription."""
    values = {key: str(value) for key, value in inputs.items() if isinstance(value, str | int | float)}
    values.setdefault("subscription", MOCK_SUBSCRIPTION)
    return template.format_map(_Missing(values))


class _Missing(dict[str, str]):
    """A format map that leaves a missing key as `unknown-<key>` rather than failing."""

    def __missing__(self, key: str) -> str:
        return f"unknown-{key}"
