"""The typed stack configuration: the structured Pulumi config key `ftstack:environment`.

Shared shapes (`RoleAssignment`, `PrivateEndpointSpec`, `DiagnosticsSpec`, ...) are defined once here and
reused by every section that needs them; every secure default lives on its field, in one place.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

ARM_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$"
NAME = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$"

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

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_default=True
    )


# --- shapes shared across sections (one shape for one idea) ------------------------------------------


class RoleAssignment(ConfigModel):
    """A built-in role, by its readable name, granted to one principal on the account."""

    principal_id: str = Field(min_length=1)
    role: RoleName
    principal_type: Literal["User", "Group", "ServicePrincipal"] = "ServicePrincipal"
    description: str | None = None


class DnsZonesSpec(ConfigModel):
    """Private DNS zones for a private endpoint: created and linked to VNets, or existing ones by id."""

    create: bool = True
    virtual_network_ids: list[Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=list)
    existing_zone_ids: dict[str, Annotated[str, Field(pattern=ARM_ID)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _create_or_existing(self) -> DnsZonesSpec:
        if not self.create and not self.existing_zone_ids:
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


class CustomerManagedKeySpec(ConfigModel):
    """Encryption with a customer-managed Key Vault key, read through a user-assigned identity."""

    key_vault_uri: str = Field(pattern=r"^https://[a-z0-9-]+\.vault\.azure\.(net|us|cn)/?$")
    key_name: str = Field(min_length=1)
    key_version: str | None = None
    identity_client_id: str | None = None


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
    max_deployment_capacity: int = Field(default=100, ge=1)
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
    def _positive_int(cls, value: AutoInt) -> AutoInt:
        if value != "auto" and int(value) < 1:
            raise ValueError("must be a positive whole number or 'auto'")
        return value

    @field_validator("learning_rate_multiplier")
    @classmethod
    def _positive_float(cls, value: AutoFloat) -> AutoFloat:
        if value != "auto" and float(value) <= 0:
            raise ValueError("must be a positive number or 'auto'")
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

    n_epochs: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    batch_size: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    learning_rate_multiplier: list[Annotated[float, Field(gt=0)]] = Field(default_factory=list)
    seed: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)


class ExperimentSpec(ConfigModel):
    """Run a job as an experiment: on nested subsets of its training data and/or over a hyperparameter sweep."""

    name: str | None = Field(default=None, pattern=NAME)  # default: the job's name
    # Fractions of the training file (0 < f <= 1, e.g. 0.25) or example counts (e.g. 40).
    subsets: list[Annotated[float, Field(gt=0, le=1, strict=True)] | Annotated[int, Field(ge=1)]] = Field(
        default_factory=list
    )
    subset_seed: int = Field(default=0, ge=0)
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
    training_file: str = Field(min_length=1)
    validation_file: str | None = None
    method: MethodSpec = Field(default_factory=MethodSpec)
    seed: int | None = Field(default=None, ge=0)
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

    step: int = Field(ge=1)


ModelSelect = Literal["final", "best_validation_loss", "best_score"] | StepSelect


class DeploymentModelRef(ConfigModel):
    """What a deployment serves: a job's final model or chosen checkpoint, the best point of an experiment,
    or an explicit fine-tuned model id."""

    job: str | None = None
    experiment: str | None = None
    select: ModelSelect = "final"
    # best_score: the evaluation scores written by `ftstack experiment report` (scores.json), relative to the project.
    scores_file: str | None = None
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
    capacity: int = Field(default=1, ge=1)
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
