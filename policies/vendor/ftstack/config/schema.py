"""The typed stack configuration: the structured Pulumi config key `ftstack:environment`.

Shared shapes (`RoleAssignment`, `PrivateEndpointSpec`, `DiagnosticsSpec`, ...) are defined once here and
reused by every section that needs them; every secure default lives on its field, in one place.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

ARM_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$"
NAME = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$"

# --- numbers, ids and paths as the services take them ---------------------------------------------------
# ARM and the fine-tuning API carry integers as int32 (seed is documented as 0..2147483647); the
# hyperparameter ranges are the fine-tuning API's (the emulator refuses the same values).
INT32_MAX = 2**31 - 1
MAX_EPOCHS = 50
MAX_BATCH_SIZE = 256
MAX_LEARNING_RATE_MULTIPLIER = 10.0
MAX_DPO_BETA = 2.0
_GUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
MAX_PATH_CHARS = 1024


def _guid(value: str) -> str:
    if not _GUID_TEXT.fullmatch(value):
        raise ValueError(
            "must be a GUID like 00000000-0000-0000-0000-000000000000 (the principal's object id, e.g. from "
            "`az ad sp show --id APP --query id`)"
        )
    return value


def _project_path(value: str) -> str:
    # Jobs upload these files: a path must not reach outside the project (an absolute path, `..`, a drive).
    parts = value.replace("\\", "/").split("/")
    windows = PureWindowsPath(value)
    if (
        PurePosixPath(value).is_absolute()
        or windows.drive
        or windows.root
        or value.startswith("~")
        or ".." in parts
        or any(ord(c) < 32 for c in value)
    ):
        raise ValueError(
            "must be a path inside the project folder, relative to Pulumi.yaml (e.g. data/training.jsonl); "
            "absolute paths, '~' and '..' are refused"
        )
    return value


# An Entra object id (users, groups, service principals): ARM refuses a role assignment to anything else.
Guid = Annotated[str, AfterValidator(_guid)]
# A data file of the stack, relative to the project folder and inside it.
ProjectPath = Annotated[str, Field(min_length=1, max_length=MAX_PATH_CHARS), AfterValidator(_project_path)]
Int32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
Epochs = Annotated[int, Field(ge=1, le=MAX_EPOCHS)]
BatchSize = Annotated[int, Field(ge=1, le=MAX_BATCH_SIZE)]
LearningRateMultiplier = Annotated[float, Field(gt=0, le=MAX_LEARNING_RATE_MULTIPLIER, allow_inf_nan=False)]

RoleName = Literal[
    "Cognitive Services OpenAI User",
    "Cognitive Services OpenAI Contributor",
    "Cognitive Services User",
]
DeploymentSku = Literal[
    "Standard",
    "ProvisionedManaged",
    "DataZoneStandard",
    "GlobalStandard",
    "GlobalProvisionedManaged",
    "DeveloperTier",
]
PolicyLevel = Literal["mandatory", "advisory", "disabled"]
LogCategory = Literal["Audit", "RequestResponse", "Trace", "AzureOpenAIRequestUsage"]


def _default_log_categories() -> list[LogCategory]:
    return ["Audit", "RequestResponse"]


def _regional_skus() -> list[DeploymentSku]:
    return ["Standard", "ProvisionedManaged", "DataZoneStandard"]


class ConfigModel(BaseModel):
    """Base of every config section: camelCase keys, unknown keys refused (a typo is an error, not a no-op)."""

    # strict: `true` is no 1, "3" no 3 and 1 no `true` (the stack file's types are the ones Pulumi passes on).
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_default=True, strict=True
    )


# --- shapes shared across sections (one shape for one idea) ------------------------------------------


class RoleAssignment(ConfigModel):
    """A built-in role, by its readable name, granted to one principal on the account."""

    principal_id: Guid
    role: RoleName
    principal_type: Literal["User", "Group", "ServicePrincipal"] = "ServicePrincipal"
    description: str | None = None


class DnsZonesSpec(ConfigModel):
    """Private DNS zones for a private endpoint: created and linked to VNets, or existing ones by id.

    `create` left out means: create them outside production, use the hub's existing zones in production
    (`ftstack.config.network_rules.creates_zones`). A hub-and-spoke landing zone already links
    `privatelink.openai.azure.com` to its VNets centrally, and Azure refuses a second zone of that name on
    a VNet, so in production creating zones is an explicit choice.
    """

    create: bool | None = None
    virtual_network_ids: list[Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=list)
    existing_zone_ids: dict[str, Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _create_or_existing(self) -> DnsZonesSpec:
        if self.create is False and not self.existing_zone_ids:
            raise ValueError("with create: false, existingZoneIds must give the zone id for each DNS zone")
        return self


class PrivateEndpointSpec(ConfigModel):
    """A private endpoint in a subnet; it lives in its VNet's region, which may differ from the account's."""

    subnet_id: str = Field(pattern=ARM_ID)
    region: str | None = None
    name: str | None = Field(default=None, pattern=NAME)
    dns_zones: DnsZonesSpec = Field(default_factory=DnsZonesSpec)


class LogAnalyticsSpec(ConfigModel):
    """A Log Analytics workspace: created (with retention) or existing by id."""

    workspace_id: str | None = Field(default=None, pattern=ARM_ID)
    name: str | None = Field(default=None, pattern=NAME)
    retention_days: int = Field(default=30, ge=30, le=730)


class DiagnosticsSpec(ConfigModel):
    """Diagnostic settings: which log categories and metrics go to which workspace."""

    log_analytics: LogAnalyticsSpec = Field(default_factory=LogAnalyticsSpec)
    log_categories: list[LogCategory] = Field(default_factory=_default_log_categories)
    metrics: bool = True


GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
KEY_VAULT_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$"


class CustomerManagedKeySpec(ConfigModel):
    """Encryption with a customer-managed Key Vault key, read through a user-assigned identity.

    The identity must exist before the account does (a system-assigned one does not, so it cannot read the
    key at create time): its client id tells ARM which identity reads the key, and its principal id is
    granted Key Vault Crypto Service Encryption User on the key before the key is applied. The vault must
    use Azure RBAC (not access policies) for that grant to count.
    """

    key_vault_uri: str = Field(pattern=r"^https://[a-z0-9-]+\.vault\.azure\.(net|us|cn)/?$")
    key_vault_id: str = Field(pattern=KEY_VAULT_ID)
    key_name: str = Field(min_length=1)
    key_version: str | None = None
    identity_client_id: str = Field(pattern=GUID)
    identity_principal_id: str = Field(pattern=GUID)


class IdentitySpec(ConfigModel):
    """The account's managed identity."""

    type: Literal["SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"] = "SystemAssigned"
    user_assigned_identity_ids: list[Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_match_type(self) -> IdentitySpec:
        if "UserAssigned" in self.type and not self.user_assigned_identity_ids:
            raise ValueError(f"identity type {self.type} needs userAssignedIdentityIds")
        return self


class NetworkAclsSpec(ConfigModel):
    """Network rules of the account; default Deny."""

    default_action: Literal["Deny", "Allow"] = "Deny"
    ip_rules: list[str] = Field(default_factory=list)
    virtual_network_subnet_ids: list[Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=list)
    bypass: Literal["AzureServices", "None"] = "AzureServices"


class ResourceGroupSpec(ConfigModel):
    """The resource group: created by the stack, or an existing one."""

    name: str = Field(min_length=1, max_length=90)
    create: bool = True


# --- sections -------------------------------------------------------------------------------------


class ResidencyConfig(ConfigModel):
    """The environment's data-residency and security policy settings (enforced by the policy pack)."""

    allowed_geographies: list[str] = Field(default_factory=list)
    allow_global_training: bool = False
    allowed_deployment_skus: list[DeploymentSku] = Field(default_factory=_regional_skus)
    require_private_endpoint: bool = True
    require_customer_managed_key: bool = False
    max_deployment_capacity: int = Field(default=100, ge=1, le=INT32_MAX)
    enforcement: Literal["mandatory", "advisory"] = "mandatory"
    policy_levels: dict[str, PolicyLevel] = Field(default_factory=dict)
    # Base models the environment may fine-tune (model names, as `ftstack matrix list` prints them); empty: any.
    allowed_base_models: list[str] = Field(default_factory=list)


class AccountConfig(ConfigModel):
    """The Azure OpenAI account; secure by default (no public access, no local keys, managed identity)."""

    name: str = Field(pattern=NAME)
    region: str
    kind: Literal["OpenAI", "AIServices"] = "OpenAI"
    sku: Literal["S0"] = "S0"
    custom_subdomain: str | None = Field(default=None, pattern=NAME)
    resource_group: ResourceGroupSpec
    public_network_access: Literal["Disabled", "Enabled"] = "Disabled"
    disable_local_auth: bool = True
    network_acls: NetworkAclsSpec = Field(default_factory=NetworkAclsSpec)
    restrict_outbound_network_access: bool = False
    allowed_fqdns: list[str] = Field(default_factory=list)
    identity: IdentitySpec = Field(default_factory=IdentitySpec)
    customer_managed_key: CustomerManagedKeySpec | None = None
    # A deleted account stays soft-deleted (its name taken) for 48 hours; ARM re-creates that name only with
    # properties.restore, which brings the old account back with its fine-tuned models. Set it for the `up`
    # that re-creates a destroyed or replaced account; otherwise purge the name first.
    restore: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class NetworkConfig(ConfigModel):
    """Private networking, and how the deploy runner reaches the data plane for fine-tuning jobs."""

    private_endpoint: PrivateEndpointSpec | None = None
    # With public access disabled, the FineTuningJob provider must reach the account from inside the VNet
    # (through the private endpoint) or through an IP rule for the runner.
    runner_access: Literal["private-endpoint", "ip-rule", "none"] = "none"


class AccessConfig(ConfigModel):
    """Role assignments on the account."""

    role_assignments: list[RoleAssignment] = Field(default_factory=list)


class MonitoringConfig(ConfigModel):
    """Diagnostics for the account."""

    diagnostics: DiagnosticsSpec | None = None


AutoInt = int | Literal["auto"]
AutoFloat = float | Literal["auto"]


class Hyperparameters(ConfigModel):
    """Training hyperparameters; each a number or "auto" (the service picks)."""

    n_epochs: AutoInt = "auto"
    batch_size: AutoInt = "auto"
    learning_rate_multiplier: AutoFloat = "auto"
    beta: AutoFloat | None = None

    @field_validator("n_epochs", "batch_size")
    @classmethod
    def _whole_in_range(cls, value: AutoInt, info: ValidationInfo) -> AutoInt:
        high = MAX_EPOCHS if info.field_name == "n_epochs" else MAX_BATCH_SIZE
        if value != "auto" and not 1 <= int(value) <= high:
            raise ValueError(f"must be a positive whole number or 'auto'; the service takes 1 to {high}")
        return value

    @field_validator("learning_rate_multiplier", "beta")
    @classmethod
    def _positive_in_range(cls, value: AutoFloat | None, info: ValidationInfo) -> AutoFloat | None:
        high = MAX_LEARNING_RATE_MULTIPLIER if info.field_name == "learning_rate_multiplier" else MAX_DPO_BETA
        # Written so that NaN fails too: every comparison with NaN is false.
        if value is not None and value != "auto" and not 0 < float(value) <= high:
            raise ValueError(f"must be a positive number or 'auto'; the service takes at most {high:g}")
        return value


class MethodSpec(ConfigModel):
    """The training method and its hyperparameters."""

    type: Literal["supervised", "dpo"] = "supervised"
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)

    @model_validator(mode="after")
    def _beta_only_for_dpo(self) -> MethodSpec:
        if self.hyperparameters.beta is not None and self.type != "dpo":
            raise ValueError("hyperparameters.beta applies to the dpo method only")
        return self


class SweepSpec(ConfigModel):
    """Hyperparameter values to try; the experiment runs their cross product."""

    n_epochs: list[Epochs] = Field(default_factory=list)
    batch_size: list[BatchSize] = Field(default_factory=list)
    learning_rate_multiplier: list[LearningRateMultiplier] = Field(default_factory=list)
    seed: list[Int32] = Field(default_factory=list)


class ExperimentSpec(ConfigModel):
    """Run a job as an experiment: on nested subsets of its training data and/or over a hyperparameter sweep."""

    name: str | None = Field(default=None, pattern=NAME)  # default: the job's name
    # Fractions of the training file (0 < f <= 1, e.g. 0.25) or example counts (e.g. 40).
    subsets: list[
        Annotated[float, Field(gt=0, le=1, strict=True)] | Annotated[int, Field(ge=1, le=INT32_MAX)]
    ] = Field(default_factory=list)
    subset_seed: Int32 = 0
    sweep: SweepSpec = Field(default_factory=SweepSpec)
    max_points: int = Field(default=12, ge=1, le=100)

    @field_validator("subsets", mode="before")
    @classmethod
    def _whole_file(cls, value: Any) -> Any:
        # The Pulumi CLI hands the program `1.0` from the stack file as `1` (JSON keeps no float type), and
        # a count of one example is never a valid subset: 1 means the whole file.
        if isinstance(value, list):
            return [1.0 if v == 1 and not isinstance(v, bool) else v for v in value]
        return value

    @model_validator(mode="after")
    def _something_to_vary(self) -> ExperimentSpec:
        swept = any(getattr(self.sweep, f) for f in type(self.sweep).model_fields)
        if not self.subsets and not swept:
            raise ValueError("an experiment needs subsets, a sweep, or both")
        return self


class JobConfig(ConfigModel):
    """One fine-tuning job: base model and version, training type, data, method, and how to wait."""

    name: str = Field(pattern=NAME)
    base_model: str
    version: str | None = None
    training_type: Literal["standard", "global"] = "standard"
    training_file: ProjectPath
    validation_file: ProjectPath | None = None
    method: MethodSpec = Field(default_factory=MethodSpec)
    seed: Int32 | None = None
    suffix: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    vision: bool = False
    wait: bool = True
    wait_timeout_minutes: int = Field(default=720, ge=1, le=43200)
    experiment: ExperimentSpec | None = None

    @property
    def experiment_name(self) -> str | None:
        """The experiment's name (the job's name unless set), or None for a plain job."""
        return None if self.experiment is None else self.experiment.name or self.name


class FineTuningConfig(ConfigModel):
    """Fine-tuning jobs declared in the stack."""

    jobs: list[JobConfig] = Field(default_factory=list)


class StepSelect(ConfigModel):
    """Select the checkpoint at a given training step."""

    step: int = Field(ge=1, le=INT32_MAX)


ModelSelect = Literal["final", "best_validation_loss", "best_score"] | StepSelect


class DeploymentModelRef(ConfigModel):
    """What a deployment serves: a job's final model or chosen checkpoint, the best point of an experiment,
    or an explicit fine-tuned model id."""

    job: str | None = None
    experiment: str | None = None
    select: ModelSelect = "final"
    # best_score: the evaluation scores written by `ftstack experiment report` (scores.json), relative to the project.
    scores_file: ProjectPath | None = None
    fine_tuned_model: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:-]+\.ft-[A-Za-z0-9._:-]+$")

    @model_validator(mode="after")
    def _one_source(self) -> DeploymentModelRef:
        if sum(x is not None for x in (self.job, self.experiment, self.fine_tuned_model)) != 1:
            raise ValueError(
                "give exactly one of job (a job name in this stack), experiment (an experiment name in this "
                "stack) or fineTunedModel (a model id)"
            )
        if self.experiment is not None and self.select not in ("best_validation_loss", "best_score"):
            raise ValueError("an experiment's model is selected by best_validation_loss or best_score")
        if self.experiment is None and self.select == "best_score":
            raise ValueError("best_score selects among an experiment's points; use experiment: NAME")
        if self.select == "best_score" and self.scores_file is None:
            raise ValueError(
                "best_score needs scoresFile: the scores.json written by `ftstack experiment report`"
            )
        return self


class DeploymentConfig(ConfigModel):
    """A deployment of a fine-tuned model on the stack's account."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{2,64}$")
    model: DeploymentModelRef
    sku: DeploymentSku = "Standard"
    capacity: int = Field(default=1, ge=1, le=INT32_MAX)  # ARM's sku.capacity is an int32
    rai_policy_name: str | None = None
    version_upgrade_option: Literal[
        "NoAutoUpgrade", "OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired"
    ] = "NoAutoUpgrade"


# A justification a reviewer can read: several different words, not a run of one character.
MIN_JUSTIFICATION_WORDS = 4
MIN_DISTINCT_JUSTIFICATION_WORDS = 3


class CapabilityOverrideConfig(ConfigModel):
    """An explicit, justified addition to the matrix: train `model` with standard training in `region`.

    Overrides add standard-training regions only: global training moves data out of the region, so whether
    a model offers it, and where, comes from the matrix alone.
    """

    model: str
    version: str
    region: str
    training: Literal["standard", "global"]
    justification: str = Field(min_length=20)

    @field_validator("training")
    @classmethod
    def _standard_only(cls, value: str) -> str:
        if value != "standard":
            raise ValueError(
                "an override adds a standard-training region only; it never grants global training or a "
                "global-training region (those come from the capability matrix alone)"
            )
        return value

    @field_validator("justification")
    @classmethod
    def _reads_as_a_justification(cls, value: str) -> str:
        words = [w.casefold() for w in re.findall(r"[^\W\d_]{2,}", value)]
        real = [w for w in words if len(set(w)) > 1]  # "xxxx" is no word
        if len(real) < MIN_JUSTIFICATION_WORDS or len(set(real)) < MIN_DISTINCT_JUSTIFICATION_WORDS:
            raise ValueError(
                f"a justification must say why in words (at least {MIN_JUSTIFICATION_WORDS} words, "
                f"{MIN_DISTINCT_JUSTIFICATION_WORDS} of them different), e.g. 'capacity confirmed for our "
                "subscription by Microsoft support case 1234'"
            )
        return " ".join(value.split())


class EnvironmentConfig(ConfigModel):
    """The whole `ftstack:environment` value of one stack."""

    name: str = Field(pattern=NAME)
    production: bool = False
    residency: ResidencyConfig = Field(default_factory=ResidencyConfig)
    account: AccountConfig
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    fine_tuning: FineTuningConfig = Field(default_factory=FineTuningConfig)
    deployments: list[DeploymentConfig] = Field(default_factory=list)
    capability_overrides: list[CapabilityOverrideConfig] = Field(default_factory=list)
