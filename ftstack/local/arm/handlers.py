"""The ARM rules of the local Azure, without HTTP: resource ids, one handler per resource type registered in
`HANDLERS` by ARM type (a generic handler stores and echoes the rest), the knobs (simulated durations,
propagation delays, injected faults) and `LocalArm`, the backend that the routes and the data-plane
dispatcher share with the accounts' emulators.

Rules that hurt users in real Azure and are kept here: parents and resource groups must exist; a
resource keeps its location; a deleted Cognitive Services account is soft-deleted and blocks its name until
it is restored or purged; one write at a time to an account's deployments (409 RequestConflict); a
deployment's model must exist and its SKU must be offered for it in the account's region, and its capacity
must fit the region's quota (400 InsufficientQuota; usages and model capacities are served read-only); DeveloperTier
deployments vanish after 24 simulated hours; a fresh role assignment takes a while before data-plane calls
are allowed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ftstack.catalog import CatalogError, load_matrix, load_regions
from ftstack.catalog.deployment_types import load_deployment_types
from ftstack.catalog.dns_zones import private_link_facts
from ftstack.emulator.clock import SimulatedClock
from ftstack.local.accounts import DataPlaneAccounts, LocalAccount
from ftstack.local.arm.quota import (
    DeployedCapacity,
    QuotaKnobs,
    QuotaPatch,
    model_capacities_json,
    usage_name,
    usages_json,
)
from ftstack.local.arm.store import ArmStore, DeletedAccount, StoredResource

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
LOCAL_TENANT = "00000000-0000-0000-0000-0000000000bb"
DEVELOPER_TIER_LIFETIME_SECONDS = 24 * 3600.0
SOFT_DELETE_RETENTION_SECONDS = 48 * 3600.0
CLOCK_META_KEY = "simulated_now"

RESOURCE_GROUP = "Microsoft.Resources/resourceGroups"
SUBSCRIPTION = "Microsoft.Resources/subscriptions"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
DELETED_ACCOUNT = "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts"
DELETED_ACCOUNTS = "Microsoft.CognitiveServices/deletedAccounts"
PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"
DNS_ZONE_GROUP = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
PRIVATE_DNS_ZONE = "Microsoft.Network/privateDnsZones"
VNET_LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
WORKSPACE = "Microsoft.OperationalInsights/workspaces"
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
DIAGNOSTIC_SETTING = "Microsoft.Insights/diagnosticSettings"
USAGES = "Microsoft.CognitiveServices/locations/usages"
MODEL_CAPACITIES = "Microsoft.CognitiveServices/modelCapacities"
LOCATION_MODEL_CAPACITIES = "Microsoft.CognitiveServices/locations/modelCapacities"

# Keys of a stored document that ARM never shows (what the backend needs to remember about a resource).
INTERNAL = "_internal"
# Body keys ARM decides itself; a body that carries them does not override them.
ARM_OWNED = ("id", "name", "type", "etag", "systemData")


class ArmError(Exception):
    """An ARM error answer: `{"error": {"code", "message"}}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """The error body."""
        return {"error": {"code": self.code, "message": self.message}}


# Resource ids.


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM id: a resource (`name` set) or a collection of one type under a parent."""

    id: str
    subscription: str
    resource_group: str | None
    type: str
    name: str | None
    # The resource (or scope: subscription, resource group, any resource) this one lives under.
    parent: str | None
    # True for an extension resource (`{scope}/providers/...` with one type segment) or a top-level one.
    top_level: bool

    @property
    def key(self) -> str:
        """The case-insensitive identity."""
        return self.id.lower()

    @property
    def group_id(self) -> str | None:
        """The id of the resource group this id lies in, if any."""
        if self.resource_group is None:
            return None
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"


def parse_resource_id(path: str) -> ResourceId:
    """The ARM id that `path` names; a 400 InvalidResourceId when it is not one."""
    ident = "/" + path.strip("/")
    segments = ident.strip("/").split("/")
    invalid = ArmError(400, "InvalidResourceId", f"'{ident}' is not a valid ARM resource id.")
    if len(segments) < 2 or segments[0].lower() != "subscriptions" or not all(segments):
        raise invalid
    subscription = segments[1]
    subscription_id = f"/subscriptions/{subscription}"
    group = segments[3] if len(segments) > 3 and segments[2].lower() == "resourcegroups" else None
    if len(segments) == 2:
        return ResourceId(ident, subscription, None, SUBSCRIPTION, subscription, None, True)
    providers = [i for i, s in enumerate(segments) if s.lower() == "providers"]
    if not providers:
        if segments[2].lower() != "resourcegroups" or len(segments) > 4:
            raise invalid
        name = segments[3] if len(segments) == 4 else None
        return ResourceId(ident, subscription, name, RESOURCE_GROUP, name, subscription_id, True)
    last = providers[-1]
    rest = segments[last + 2 :]
    if last + 1 >= len(segments) or not rest:
        raise invalid
    scope = "/" + "/".join(segments[:last])
    kind = segments[last + 1] + "/" + "/".join(rest[0::2])
    collection = len(rest) % 2 == 1
    depth = len(rest[0::2])
    if collection:
        parent = scope if depth == 1 else "/" + "/".join(segments[:-1])
        return ResourceId(ident, subscription, group, kind, None, parent, depth == 1)
    parent = scope if depth == 1 else "/" + "/".join(segments[:-2])
    return ResourceId(ident, subscription, group, kind, rest[-1], parent, depth == 1)


def iso(seconds: float) -> str:
    """A simulated unix time the way ARM writes timestamps."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalized_location(location: str) -> str:
    """ARM's comparison form of a location ("Sweden Central" and "swedencentral" are the same)."""
    return location.replace(" ", "").lower()


# Knobs.


class FaultRule(BaseModel):
    """An injected ARM failure: `route` is `METHOD ResourceType` (METHOD may be *), failing `times` times
    (None: always)."""

    model_config = ConfigDict(extra="forbid")

    route: str = Field(pattern=r"^(\*|PUT|GET|DELETE) [A-Za-z0-9.]+(/[A-Za-z0-9]+)+$")
    status: int = Field(ge=400, le=599)
    times: int | None = Field(default=1, ge=1)
    code: str | None = None
    message: str | None = None

    def matches(self, method: str, resource_type: str) -> bool:
        """True when this rule covers a `method` request on `resource_type`."""
        want_method, want_type = self.route.split(" ", 1)
        return want_method in ("*", method) and want_type.lower() == resource_type.lower()

    def error(self, resource_id: str) -> ArmError:
        """The error this rule answers with."""
        codes = {
            429: "TooManyRequests",
            500: "InternalServerError",
            503: "ServiceUnavailable",
            409: "Conflict",
        }
        code = self.code or codes.get(self.status, f"Http{self.status}")
        message = (
            self.message or f"Injected fault ({self.route}) for '{resource_id}'. Please try again later."
        )
        return ArmError(self.status, code, message, retry_after=1 if self.status == 429 else None)


class _KnobsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    deployment_write_seconds: float | None = Field(
        default=None, alias="deploymentWriteSeconds", ge=0, allow_inf_nan=False
    )
    role_assignment_propagation_seconds: float | None = Field(
        default=None, alias="roleAssignmentPropagationSeconds", ge=0, allow_inf_nan=False
    )
    faults: list[FaultRule] | None = None
    quota: QuotaPatch | None = None


@dataclass
class Knobs:
    """What tests and demos may tune: simulated durations (real seconds) and injected faults."""

    # Real seconds one deployment write (PUT or DELETE) takes, so that concurrent writes really overlap.
    deployment_write_seconds: float = 0.2
    # Real seconds after a role assignment is created during which its scope's data plane refuses calls.
    role_assignment_propagation_seconds: float = 0.0
    faults: list[FaultRule] = field(default_factory=list)
    # Quota limits and usage from outside the local Azure, per region and usage name (see arm/quota.py).
    quota: QuotaKnobs = field(default_factory=QuotaKnobs)

    def merge(self, patch: Any) -> None:
        """Apply a JSON merge patch (`faults`, when given, replaces the list; `quota` merges per region and
        usage name); a 400 naming the bad field."""
        try:
            parsed = _KnobsPatch.model_validate(patch)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise ArmError(400, "InvalidRequestContent", f"knobs: {where}: {first['msg']}") from exc
        if parsed.deployment_write_seconds is not None:
            self.deployment_write_seconds = parsed.deployment_write_seconds
        if parsed.role_assignment_propagation_seconds is not None:
            self.role_assignment_propagation_seconds = parsed.role_assignment_propagation_seconds
        if parsed.faults is not None:
            self.faults = list(parsed.faults)
        if parsed.quota is not None:
            self.quota.merge(parsed.quota)

    def take_fault(self, method: str, resource_type: str) -> FaultRule | None:
        """The fault rule that strikes this request, if any, counting it down."""
        for rule in self.faults:
            if rule.matches(method, resource_type):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self.faults.remove(rule)
                return rule
        return None

    def to_json(self) -> dict[str, Any]:
        """The knobs as the admin API shows them (faults with the times they have left)."""
        return {
            "deploymentWriteSeconds": self.deployment_write_seconds,
            "roleAssignmentPropagationSeconds": self.role_assignment_propagation_seconds,
            "faults": [r.model_dump(exclude_none=True) for r in self.faults],
            "quota": self.quota.to_json(),
        }


# Handlers.


class Handler:
    """The generic ARM behaviour: the parent (or resource group) must exist, PUT stores the body and echoes
    it with provisioningState Succeeded, DELETE removes the resource and everything under its id."""

    # A tracked resource has a location that it keeps for life.
    tracked: ClassVar[bool] = False
    has_etag: ClassVar[bool] = False
    not_found_code: ClassVar[str] = "ResourceNotFound"
    # The location ARM fills in when the body has none (private DNS resources are always 'global').
    default_location: ClassVar[str | None] = None

    def check_parent(self, arm: LocalArm, rid: ResourceId) -> None:
        """A 404 when the resource group or the parent (scope) of `rid` does not exist."""
        group = rid.group_id
        if group is not None and group.lower() != rid.key and arm.store.get(group) is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rid.resource_group}' could not be found."
            )
        parent = rid.parent
        if parent is None or parent.lower() in (
            f"/subscriptions/{rid.subscription}".lower(),
            (group or "").lower(),
        ):
            return
        if arm.store.get(parent) is None:
            raise ArmError(
                404,
                "ParentResourceNotFound",
                f"Can not perform requested operation on nested resource. Parent resource '{parent}' not found.",
            )

    def validate(
        self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], existing: StoredResource | None
    ) -> None:
        """A 4xx when ARM refuses this body for this resource (location rules, for tracked resources)."""
        if not self.tracked:
            return
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if existing is not None:
            before = str(existing.document.get("location", ""))
            if normalized_location(before) != normalized_location(location):
                raise ArmError(
                    400,
                    "InvalidResourceLocation",
                    f"The resource '{rid.name}' already exists in location '{before}' in resource group "
                    f"'{rid.resource_group}'. A resource with the same name cannot be created in location "
                    f"'{location}'. Please select a new resource name.",
                )

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Properties the service computes once and keeps (creation dates, ids); `previous` is the stored
        document's properties on an update."""
        return {}

    def read_properties(self, arm: LocalArm, record: StoredResource) -> dict[str, Any]:
        """Properties computed whenever the resource is read (they depend on the server's URL or on other
        resources)."""
        return {}

    def expires_at(self, arm: LocalArm, body: dict[str, Any], created_at: float) -> float | None:
        """When the service removes the resource by itself (simulated unix seconds), if ever."""
        return None

    def internal_fields(self, rid: ResourceId, body: dict[str, Any]) -> dict[str, Any] | None:
        """What the backend remembers about the resource without showing it, if anything."""
        return None

    async def put(self, arm: LocalArm, rid: ResourceId, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update; returns the resource and whether it was created."""
        existing = arm.store.get(rid.id)
        self.check_parent(arm, rid)
        self.validate(arm, rid, body, existing)
        record = arm.write(self, rid, body, existing)
        self.after_write(arm, record, created=existing is None)
        return arm.render(record), existing is None

    def after_write(self, arm: LocalArm, record: StoredResource, created: bool) -> None:
        """What else changes once the resource is stored (the data plane, access windows)."""

    def get(self, arm: LocalArm, rid: ResourceId) -> dict[str, Any]:
        """The resource, or a 404 with this type's code."""
        record = arm.store.get(rid.id)
        if record is None:
            raise self.not_found(rid)
        return arm.render(record)

    def list(self, arm: LocalArm, rid: ResourceId, query: Mapping[str, str]) -> dict[str, Any]:
        """The resources of this type under the collection's parent, as `{"value": [...]}` (`query`: the
        request's query parameters, for collections filtered by them)."""
        return {"value": [arm.render(r) for r in arm.store.children(rid.parent or "", rid.type)]}

    async def delete(self, arm: LocalArm, rid: ResourceId) -> bool:
        """Delete the resource and everything under its id; False when it did not exist."""
        if arm.store.get(rid.id) is None:
            return False
        arm.remove_tree(rid.id)
        return True

    def on_removed(self, arm: LocalArm, record: StoredResource) -> None:
        """What else goes when the resource goes (itself deleted, or its parent or group)."""

    def not_found(self, rid: ResourceId) -> ArmError:
        """The 404 for a missing resource of this type."""
        return ArmError(
            404,
            self.not_found_code,
            f"The Resource '{rid.type}/{rid.name}' under resource group '{rid.resource_group}' was not found.",
        )


class ResourceGroupHandler(Handler):
    """Resource groups: deleting one deletes everything in it (accounts are soft-deleted)."""

    tracked = True
    not_found_code = "ResourceGroupNotFound"

    def validate(
        self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], existing: StoredResource | None
    ) -> None:
        """A group keeps its location (ARM answers 409 InvalidResourceGroupLocation)."""
        if existing is not None and isinstance(body.get("location"), str):
            before = str(existing.document.get("location", ""))
            if normalized_location(before) != normalized_location(body["location"]):
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{body['location']}'. The Resource group already exists "
                    f"in location '{before}'.",
                )
        super().validate(arm, rid, body, existing)

    def not_found(self, rid: ResourceId) -> ArmError:
        """The 404 ARM answers for a missing group."""
        return ArmError(404, self.not_found_code, f"Resource group '{rid.name}' could not be found.")


class AccountHandler(Handler):
    """Cognitive Services accounts: one data-plane account each, endpoints computed at read time,
    soft delete with restore and purge, subdomains unique."""

    tracked = True
    has_etag = True

    def validate(
        self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], existing: StoredResource | None
    ) -> None:
        """Location and subdomain rules, and the soft-deleted name rule."""
        super().validate(arm, rid, body, existing)
        location = str(body["location"])
        try:
            load_regions().get(location)
        except CatalogError:
            regions = ", ".join(load_regions().names())
            raise ArmError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{location}' is not available for resource type '{ACCOUNT}'. "
                f"List of available regions for the resource type is '{regions}'.",
            ) from None
        subdomain = account_subdomain(rid, body)
        if existing is not None and existing.document[INTERNAL]["subdomain"] != subdomain:
            raise ArmError(
                400,
                "CustomSubDomainNameCannotBeChanged",
                f"The customSubDomainName of account '{rid.name}' is "
                f"'{existing.document[INTERNAL]['subdomain']}' and cannot be changed to '{subdomain}'.",
            )
        taken = arm.subdomain_owner(subdomain)
        if taken is not None and taken.lower() != rid.key:
            deleted = arm.store.get_deleted(rid.subscription, rid.name or "")
            if deleted is None or deleted.id.lower() != taken.lower():
                raise ArmError(
                    409,
                    "CustomDomainInUse",
                    f"Please pick a different name. The subdomain name '{subdomain}' is not available as it's "
                    "already used by a resource.",
                )
        if existing is None:
            self._check_soft_deleted(arm, rid, body)

    @staticmethod
    def _check_soft_deleted(arm: LocalArm, rid: ResourceId, body: dict[str, Any]) -> None:
        deleted = arm.store.get_deleted(rid.subscription, rid.name or "")
        if deleted is None:
            return
        if (body.get("properties") or {}).get("restore") is not True:
            raise ArmError(
                409,
                "FlagMustBeSetForRestore",
                f"An existing resource with ID '{deleted.id}' has been soft-deleted. To restore the resource, you "
                "must specify 'restore' to be true in the property. If you don't want to restore existing "
                "resource, please purge it first.",
            )
        if deleted.id.lower() != rid.key:
            raise ArmError(
                409,
                "SoftDeletedResourceInAnotherResourceGroup",
                f"The soft-deleted resource '{deleted.id}' can only be restored into resource group "
                f"'{deleted.resource_group}'; purge it first to use the name '{rid.name}' elsewhere.",
            )
        if normalized_location(deleted.location) != normalized_location(str(body["location"])):
            raise ArmError(
                400,
                "InvalidResourceLocation",
                f"The soft-deleted resource '{deleted.id}' is in location '{deleted.location}'; it can only be "
                f"restored there, not in '{body['location']}'.",
            )

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """dateCreated and internalId, kept from the first creation (and across a restore)."""
        deleted = arm.store.get_deleted(rid.subscription, rid.name or "")
        before = previous or (deleted.document.get("properties") if deleted is not None else None) or {}
        return {
            "dateCreated": before.get("dateCreated") or iso(arm.clock.now()),
            "internalId": before.get("internalId") or uuid.uuid4().hex,
        }

    def internal_fields(self, rid: ResourceId, body: dict[str, Any]) -> dict[str, Any] | None:
        """The account's data-plane subdomain and region."""
        return {
            "subdomain": account_subdomain(rid, body),
            "region": load_regions().get(str(body["location"])).name,
        }

    def read_properties(self, arm: LocalArm, record: StoredResource) -> dict[str, Any]:
        """The endpoint on the server's current URL (the port may change across restarts)."""
        endpoint = arm.account_endpoint(record.document[INTERNAL]["subdomain"])
        return {
            "endpoint": endpoint,
            "endpoints": {
                "OpenAI Language Model Instance API": endpoint,
                "OpenAI Model Scaleset API": endpoint,
                "OpenAI Realtime API": endpoint,
            },
        }

    def after_write(self, arm: LocalArm, record: StoredResource, created: bool) -> None:
        """Open (or reopen) the account's data plane in its region; a restore shows it again."""
        internal = record.document[INTERNAL]
        arm.accounts.open(internal["subdomain"], internal["region"], record.id)
        rid = parse_resource_id(record.id)
        if arm.store.get_deleted(rid.subscription, rid.name or "") is not None:
            arm.store.remove_deleted(rid.subscription, rid.name or "")
            arm.accounts.set_soft_deleted(internal["subdomain"], False)

    def on_removed(self, arm: LocalArm, record: StoredResource) -> None:
        """Soft-delete: the name stays taken and the data plane keeps its files and jobs, hidden."""
        rid = parse_resource_id(record.id)
        internal = record.document[INTERNAL]
        now = arm.clock.now()
        document = dict(record.document)
        document["properties"] = {
            **document.get("properties", {}),
            "deletionDate": iso(now),
            "scheduledPurgeDate": iso(now + SOFT_DELETE_RETENTION_SECONDS),
        }
        arm.store.put_deleted(
            DeletedAccount(
                id=record.id,
                subscription=rid.subscription,
                name=rid.name or "",
                location=str(document.get("location", "")),
                resource_group=rid.resource_group or "",
                subdomain=internal["subdomain"],
                document=document,
                deleted_at=now,
            )
        )
        arm.accounts.set_soft_deleted(internal["subdomain"], True)


def account_subdomain(rid: ResourceId, body: dict[str, Any]) -> str:
    """The account's data-plane subdomain: customSubDomainName, or the account name."""
    custom = (body.get("properties") or {}).get("customSubDomainName")
    return str(custom or rid.name).lower()


class DeletedAccountHandler(Handler):
    """`.../locations/{location}/resourceGroups/{rg}/deletedAccounts/{name}`: GET shows a soft-deleted
    account, DELETE purges it (and its data plane)."""

    def check_parent(self, arm: LocalArm, rid: ResourceId) -> None:
        """The location-scoped path has no stored parent."""

    def _find(self, arm: LocalArm, rid: ResourceId) -> DeletedAccount | None:
        match = re.search(r"/locations/([^/]+)/resourceGroups/([^/]+)/deletedAccounts/([^/]+)$", rid.id, re.I)
        if match is None:
            return None
        location, group, name = match.groups()
        deleted = arm.store.get_deleted(rid.subscription, name)
        if deleted is None or deleted.resource_group.lower() != group.lower():
            return None
        return deleted if normalized_location(deleted.location) == normalized_location(location) else None

    async def put(self, arm: LocalArm, rid: ResourceId, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Deleted accounts are not written; PUT the account with properties.restore=true instead."""
        raise ArmError(
            405,
            "MethodNotAllowed",
            "Restore a deleted account with PUT on the account and properties.restore=true.",
        )

    def get(self, arm: LocalArm, rid: ResourceId) -> dict[str, Any]:
        """The soft-deleted account, or 404."""
        deleted = self._find(arm, rid)
        if deleted is None:
            raise self.not_found(rid)
        return arm.render_deleted(deleted)

    async def delete(self, arm: LocalArm, rid: ResourceId) -> bool:
        """Purge: the name is free again and the account's files and jobs are gone."""
        deleted = self._find(arm, rid)
        if deleted is None:
            return False
        arm.store.remove_deleted(deleted.subscription, deleted.name)
        arm.accounts.purge(deleted.subdomain)
        return True


class DeletedAccountsHandler(Handler):
    """`/subscriptions/{sub}/providers/Microsoft.CognitiveServices/deletedAccounts`: the soft-deleted ones."""

    def list(self, arm: LocalArm, rid: ResourceId, query: Mapping[str, str]) -> dict[str, Any]:
        """Every soft-deleted account of the subscription."""
        return {"value": [arm.render_deleted(d) for d in arm.store.deleted_accounts(rid.subscription)]}


class DeploymentHandler(Handler):
    """Model deployments: one write at a time per account, the model and SKU checked against the account's
    data plane and the deployment-type table, registered for chat under the deployment name."""

    has_etag = True
    not_found_code = "DeploymentNotFound"

    def not_found(self, rid: ResourceId) -> ArmError:
        """The 404 ARM answers for a missing deployment."""
        return ArmError(404, self.not_found_code, f"The specified deployment '{rid.name}' does not exist.")

    async def put(self, arm: LocalArm, rid: ResourceId, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Check, wait out the simulated write (while it runs, other writes to the account get 409), store
        and register the deployment."""
        self.check_parent(arm, rid)
        account = arm.store.get(rid.parent or "")
        assert account is not None  # check_parent guarantees it
        arm.check_no_write_in_flight(account)
        subdomain = account.document[INTERNAL]["subdomain"]
        model_id = self._model_id(arm, rid, body, account)
        arm.check_quota(rid, body, model_id, account)
        async with arm.deployment_write(account):
            existing = arm.store.get(rid.id)
            if arm.store.get(account.id) is None:
                raise ArmError(404, "ParentResourceNotFound", f"Parent resource '{account.id}' was deleted.")
            record = arm.write(
                self, rid, body, existing, internal={"modelId": model_id, "subdomain": subdomain}
            )
            arm.accounts.register(subdomain, rid.name or "", model_id)
        return arm.render(record), existing is None

    def _model_id(self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], account: StoredResource) -> str:
        properties = body.get("properties") or {}
        model = properties.get("model") if isinstance(properties, dict) else None
        name = model.get("name") if isinstance(model, dict) else None
        if not isinstance(name, str) or not name:
            raise ArmError(
                400, "InvalidResourceProperties", "The deployment needs properties.model.name (and version)."
            )
        version = model.get("version") if isinstance(model, dict) else None
        internal = account.document[INTERNAL]
        found = arm.accounts.deployment_model(
            internal["subdomain"], name, version if isinstance(version, str) else None
        )
        if found is None:
            raise ArmError(
                400,
                "DeploymentModelNotSupported",
                f"The model '{name}' (version '{version}') is not supported for deployment on account "
                f"'{parse_resource_id(account.id).name}': it is neither a base model nor a fine-tuned model or "
                "checkpoint of this account.",
            )
        sku_body = body.get("sku")
        sku = str(sku_body.get("name") or "Standard") if isinstance(sku_body, dict) else "Standard"
        if found.fine_tuned_base is not None:
            self._check_sku(
                sku, name, internal["region"], found.fine_tuned_base.model, found.fine_tuned_base.version
            )
        return found.model_id

    @staticmethod
    def _check_sku(sku: str, name: str, region: str, base_model: str, base_version: str) -> None:
        table = load_deployment_types()
        try:
            decision = table.check(sku, base_model, base_version, region)
        except CatalogError:
            raise ArmError(
                400,
                "InvalidResourceProperties",
                f"The specified SKU '{sku}' for model '{name}' is not supported in region '{region}'; known "
                f"deployment types: {', '.join(table.skus())}.",
            ) from None
        if not decision.allowed:
            raise ArmError(
                400,
                "InvalidResourceProperties",
                f"The specified SKU '{sku}' for model '{name}' is not supported in region '{region}': "
                f"{decision.message}.",
            )

    def expires_at(self, arm: LocalArm, body: dict[str, Any], created_at: float) -> float | None:
        """DeveloperTier deployments are removed 24 simulated hours after their creation."""
        sku = body.get("sku")
        if isinstance(sku, dict) and str(sku.get("name", "")).lower() == "developertier":
            return created_at + DEVELOPER_TIER_LIFETIME_SECONDS
        return None

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """What chat completions a deployment offers."""
        return {"capabilities": {"chatCompletion": "true"}}

    async def delete(self, arm: LocalArm, rid: ResourceId) -> bool:
        """Delete after the simulated write time (409 while another write to the account runs)."""
        record = arm.store.get(rid.id)
        account = arm.store.get(rid.parent or "")
        if record is None or account is None:
            return False
        arm.check_no_write_in_flight(account)
        async with arm.deployment_write(account):
            if arm.store.get(rid.id) is None:
                return False
            arm.remove_tree(rid.id)
        return True

    def on_removed(self, arm: LocalArm, record: StoredResource) -> None:
        """Chat stops answering under the deployment's name."""
        arm.accounts.unregister(record.document[INTERNAL]["subdomain"], str(record.document["name"]))


class PrivateEndpointHandler(Handler):
    """Private endpoints: a network interface and, per target account, DNS configs with a stable IP."""

    tracked = True
    has_etag = True

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """networkInterfaces, approved connections and customDnsConfigs for the targeted accounts."""
        nic = (previous or {}).get("networkInterfaces") or [
            {
                "id": f"/subscriptions/{rid.subscription}/resourceGroups/{rid.resource_group}/providers/"
                f"Microsoft.Network/networkInterfaces/{rid.name}.nic.{uuid.uuid4()}"
            }
        ]
        connections = []
        dns = []
        for connection in properties.get("privateLinkServiceConnections") or []:
            if not isinstance(connection, dict):
                continue
            inner = dict(connection.get("properties") or {})
            inner.setdefault(
                "privateLinkServiceConnectionState",
                {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"},
            )
            inner["provisioningState"] = "Succeeded"
            connections.append({**connection, "properties": inner})
            dns += arm.dns_configs(str(inner.get("privateLinkServiceId", "")), rid.id)
        computed: dict[str, Any] = {"networkInterfaces": nic, "customDnsConfigs": dns}
        if connections:
            computed["privateLinkServiceConnections"] = connections
        return computed


class DnsZoneGroupHandler(Handler):
    """Private DNS zone groups: the endpoint's A records in each zone."""

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """privateDnsZoneConfigs with the record sets the group writes."""
        endpoint = arm.store.get(rid.parent or "")
        dns = (endpoint.document.get("properties", {}).get("customDnsConfigs") if endpoint else None) or []
        configs = []
        for config in properties.get("privateDnsZoneConfigs") or []:
            if not isinstance(config, dict):
                continue
            inner = dict(config.get("properties") or {})
            zone = str(inner.get("privateDnsZoneId", "")).rstrip("/").rsplit("/", 1)[-1].lower()
            public = zone.removeprefix("privatelink.")
            inner["recordSets"] = [
                {
                    "recordType": "A",
                    "recordSetName": str(d["fqdn"]).removesuffix("." + public),
                    "fqdn": str(d["fqdn"]).replace(public, zone, 1) + ".",
                    "ttl": 10,
                    "ipAddresses": d["ipAddresses"],
                    "provisioningState": "Succeeded",
                }
                for d in dns
                if str(d.get("fqdn", "")).endswith("." + public)
            ]
            configs.append({**config, "properties": inner})
        return {"privateDnsZoneConfigs": configs}


class PrivateDnsZoneHandler(Handler):
    """Private DNS zones (location global): record-set and link counts computed from what points at them."""

    has_etag = True
    default_location = "global"

    def validate(
        self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], existing: StoredResource | None
    ) -> None:
        """Private DNS zones live in location 'global'."""
        location = body.get("location", "global")
        if normalized_location(str(location)) != "global":
            raise ArmError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{location}' is not available for resource type '{PRIVATE_DNS_ZONE}'. "
                "List of available regions for the resource type is 'global'.",
            )

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The zone's limits and internal id."""
        return {
            "maxNumberOfRecordSets": 25000,
            "maxNumberOfVirtualNetworkLinks": 1000,
            "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
            "internalId": (previous or {}).get("internalId") or uuid.uuid4().hex,
        }

    def read_properties(self, arm: LocalArm, record: StoredResource) -> dict[str, Any]:
        """numberOfRecordSets (the SOA record plus the A records zone groups write) and link counts."""
        zone_key = record.key
        records = 1
        for group in arm.store.by_type(DNS_ZONE_GROUP):
            for config in group.document.get("properties", {}).get("privateDnsZoneConfigs", []):
                if str(config.get("properties", {}).get("privateDnsZoneId", "")).lower() == zone_key:
                    records += len(config["properties"].get("recordSets", []))
        links = arm.store.children(record.id, VNET_LINK)
        registering = [r for r in links if r.document.get("properties", {}).get("registrationEnabled")]
        return {
            "numberOfRecordSets": records,
            "numberOfVirtualNetworkLinks": len(links),
            "numberOfVirtualNetworkLinksWithRegistration": len(registering),
        }


class VirtualNetworkLinkHandler(Handler):
    """Links of a private DNS zone to a virtual network."""

    has_etag = True
    default_location = "global"

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The link is complete at once."""
        return {"virtualNetworkLinkState": "Completed"}


class WorkspaceHandler(Handler):
    """Log Analytics workspaces: a customerId (the workspace id agents use) and the service's defaults."""

    tracked = True
    has_etag = True

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """customerId and dates, kept across updates; sku and retention default like the service's."""
        before = previous or {}
        now = iso(arm.clock.now())
        return {
            "customerId": before.get("customerId") or str(uuid.uuid4()),
            "createdDate": before.get("createdDate") or now,
            "modifiedDate": now,
            "sku": properties.get("sku") or {"name": "PerGB2018"},
            "retentionInDays": properties.get("retentionInDays") or 30,
        }


class RoleAssignmentHandler(Handler):
    """Role assignments: the name is a GUID, an assignment is never updated, one per principal, role and
    scope; a new one takes `roleAssignmentPropagationSeconds` to reach the data plane."""

    def validate(
        self, arm: LocalArm, rid: ResourceId, body: dict[str, Any], existing: StoredResource | None
    ) -> None:
        """GUID name, required principal and role, no update, no duplicate."""
        try:
            uuid.UUID(rid.name or "")
        except ValueError:
            raise ArmError(
                400,
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{rid.name}' is not valid. The role assignment ID must be a GUID.",
            ) from None
        properties = body.get("properties") or {}
        principal, role = properties.get("principalId"), properties.get("roleDefinitionId")
        if not isinstance(principal, str) or not principal or not isinstance(role, str) or not role:
            raise ArmError(
                400,
                "InvalidRequestContent",
                "A role assignment needs properties.principalId and properties.roleDefinitionId.",
            )
        if existing is not None:
            before = existing.document.get("properties", {})
            if (before.get("principalId"), str(before.get("roleDefinitionId", "")).lower()) != (
                principal,
                role.lower(),
            ):
                raise ArmError(
                    409,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            return
        for other in arm.store.children(rid.parent or "", ROLE_ASSIGNMENT):
            props = other.document.get("properties", {})
            if (
                props.get("principalId") == principal
                and str(props.get("roleDefinitionId", "")).lower() == role.lower()
            ):
                raise ArmError(
                    409, "RoleAssignmentExists", f"The role assignment already exists ('{other.id}')."
                )

    def stored_properties(
        self, arm: LocalArm, rid: ResourceId, properties: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """scope and the creation dates."""
        now = iso(arm.clock.now())
        return {
            "scope": rid.parent,
            "principalType": properties.get("principalType") or "ServicePrincipal",
            "createdOn": (previous or {}).get("createdOn") or now,
            "updatedOn": now,
        }

    def after_write(self, arm: LocalArm, record: StoredResource, created: bool) -> None:
        """A new assignment is not effective on the data plane at once."""
        if created:
            arm.start_propagation(record.parent or "")


class DiagnosticSettingHandler(Handler):
    """Diagnostic settings, an extension resource of the resource they watch."""


class UsagesHandler(Handler):
    """`.../locations/{location}/usages`: the subscription's quotas in a region (read-only)."""

    def list(self, arm: LocalArm, rid: ResourceId, query: Mapping[str, str]) -> dict[str, Any]:
        """One usage per SKU and model: its limit (knobs) and current value (deployments plus knobs)."""
        location = (rid.parent or "").rstrip("/").rsplit("/", 1)[-1]
        return usages_json(
            arm.knobs.quota, location, arm.deployed_capacities(), load_deployment_types().skus()
        )


class ModelCapacitiesHandler(Handler):
    """`.../modelCapacities?modelFormat=&modelName=&modelVersion=` (subscription-wide, or one location's):
    the room left per region and SKU where fine-tuned models of that model may be deployed."""

    def list(self, arm: LocalArm, rid: ResourceId, query: Mapping[str, str]) -> dict[str, Any]:
        """The capacities of the queried model; a 400 when modelName or modelVersion is missing."""
        lowered = {k.lower(): v for k, v in query.items()}
        model, version = lowered.get("modelname", ""), lowered.get("modelversion", "")
        if not model or not version:
            raise ArmError(400, "BadRequest", "modelFormat, modelName and modelVersion are required.")
        table = load_deployment_types()
        only = None
        if rid.type.lower() == LOCATION_MODEL_CAPACITIES.lower():
            only = normalized_location((rid.parent or "").rstrip("/").rsplit("/", 1)[-1])
        regions = [r.name for r in load_regions() if only is None or r.name == only]
        known = _known_model(model, version)
        places = [(r, sku) for r in regions if known for sku in table.usable_skus(model, version, r)]
        return model_capacities_json(
            arm.knobs.quota, places, arm.deployed_capacities(), table.skus(), model, version, rid.subscription
        )


def _known_model(model: str, version: str) -> bool:
    """True when the capability matrix has (model, version); other models have no fine-tune capacity here."""
    try:
        load_matrix().row(model, version)
    except CatalogError:
        return False
    return True


HANDLERS: dict[str, Handler] = {
    kind.lower(): handler
    for kind, handler in {
        RESOURCE_GROUP: ResourceGroupHandler(),
        ACCOUNT: AccountHandler(),
        DEPLOYMENT: DeploymentHandler(),
        DELETED_ACCOUNT: DeletedAccountHandler(),
        DELETED_ACCOUNTS: DeletedAccountsHandler(),
        PRIVATE_ENDPOINT: PrivateEndpointHandler(),
        DNS_ZONE_GROUP: DnsZoneGroupHandler(),
        PRIVATE_DNS_ZONE: PrivateDnsZoneHandler(),
        VNET_LINK: VirtualNetworkLinkHandler(),
        WORKSPACE: WorkspaceHandler(),
        ROLE_ASSIGNMENT: RoleAssignmentHandler(),
        DIAGNOSTIC_SETTING: DiagnosticSettingHandler(),
        USAGES: UsagesHandler(),
        MODEL_CAPACITIES: ModelCapacitiesHandler(),
        LOCATION_MODEL_CAPACITIES: ModelCapacitiesHandler(),
    }.items()
}
GENERIC = Handler()


def handler_for(resource_type: str) -> Handler:
    """The handler of an ARM type (the generic one for types without their own rules)."""
    return HANDLERS.get(resource_type.lower(), GENERIC)


# The backend.


class _DeploymentWrite:
    """The in-flight mark of one account's deployment write, held for the simulated write time."""

    def __init__(self, arm: LocalArm, account_key: str) -> None:
        self.arm = arm
        self.key = account_key

    async def __aenter__(self) -> None:
        self.arm._writes_in_flight.add(self.key)
        await asyncio.sleep(self.arm.knobs.deployment_write_seconds)

    async def __aexit__(self, *_: object) -> None:
        self.arm._writes_in_flight.discard(self.key)


class LocalArm:
    """The management plane's backend: the store, the data-plane accounts, the shared clock and the knobs.
    Every ARM request goes through `put`, `get`, `delete` or `list`, which dispatch to the type's handler."""

    def __init__(
        self,
        store: ArmStore,
        accounts: DataPlaneAccounts,
        clock: SimulatedClock,
        base_url: str,
        subscription: str = DEFAULT_SUBSCRIPTION,
        knobs: Knobs | None = None,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.subscription = subscription
        self.knobs = knobs or Knobs()
        self._writes_in_flight: set[str] = set()
        # (scope id, monotonic deadline) of role assignments that have not reached the data plane yet.
        self._propagating: list[tuple[str, float]] = []
        self._reopen_accounts()

    def _reopen_accounts(self) -> None:
        """Reopen every account's data plane and make its deployments ARM's (after a restart or a crash)."""
        for record in self.store.by_type(ACCOUNT):
            internal = record.document[INTERNAL]
            self.accounts.open(internal["subdomain"], internal["region"], record.id)
        for deleted in self.store.deleted_accounts():
            region = deleted.document[INTERNAL]["region"]
            self.accounts.open(deleted.subdomain, region, deleted.id)
            self.accounts.set_soft_deleted(deleted.subdomain, True)
        self.sweep()
        for record in self.store.by_type(ACCOUNT):
            deployments = {
                str(d.document["name"]): str(d.document[INTERNAL]["modelId"])
                for d in self.store.children(record.id, DEPLOYMENT)
            }
            self.accounts.reconcile(record.document[INTERNAL]["subdomain"], deployments)

    # Requests.

    async def put(self, path: str, body: Any) -> tuple[dict[str, Any], bool]:
        """PUT a resource; returns it and whether it was created."""
        rid = self._request("PUT", path)
        if rid.name is None:
            raise ArmError(405, "MethodNotAllowed", f"PUT is not allowed on the collection '{rid.id}'.")
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        result = await handler_for(rid.type).put(self, rid, body)
        self.save_clock()
        return result

    def get(self, path: str, query: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET a resource or a collection (`{"value": [...]}`); `query` filters collections that take one."""
        rid = self._request("GET", path)
        if rid.type == SUBSCRIPTION:
            return {
                "id": rid.id,
                "subscriptionId": rid.subscription,
                "tenantId": LOCAL_TENANT,
                "displayName": "ftstack local",
                "state": "Enabled",
            }
        handler = handler_for(rid.type)
        return handler.list(self, rid, query or {}) if rid.name is None else handler.get(self, rid)

    async def delete(self, path: str) -> bool:
        """DELETE a resource; False when it did not exist."""
        rid = self._request("DELETE", path)
        if rid.name is None or rid.type == SUBSCRIPTION:
            raise ArmError(405, "MethodNotAllowed", f"DELETE is not allowed on '{rid.id}'.")
        deleted = await handler_for(rid.type).delete(self, rid)
        self.save_clock()
        return deleted

    def _request(self, method: str, path: str) -> ResourceId:
        self.sweep()
        rid = parse_resource_id(path)
        if rid.subscription.lower() != self.subscription.lower():
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{rid.subscription}' could not be found."
            )
        fault = self.knobs.take_fault(method, rid.type)
        if fault is not None:
            raise fault.error(rid.id)
        return rid

    # Writing and reading documents.

    def write(
        self,
        handler: Handler,
        rid: ResourceId,
        body: dict[str, Any],
        existing: StoredResource | None,
        internal: dict[str, Any] | None = None,
    ) -> StoredResource:
        """Store `body` as the resource (a full PUT replaces what was there), with its computed fields."""
        now = self.clock.now()
        previous = existing.document.get("properties") if existing is not None else None
        properties = dict(body.get("properties") or {})
        properties.update(handler.stored_properties(self, rid, properties, previous))
        properties["provisioningState"] = "Succeeded"
        # ARM's order: identity first, then the body's own fields, then properties and ARM's metadata.
        document: dict[str, Any] = {
            "id": existing.id if existing is not None else rid.id,
            "name": rid.name,
            "type": rid.type if existing is None else existing.type,
        }
        document.update({k: v for k, v in body.items() if k not in ARM_OWNED and k != "properties"})
        if handler.default_location is not None:
            document.setdefault("location", handler.default_location)
        identity = document.get("identity")
        if isinstance(identity, dict) and "systemassigned" in str(identity.get("type", "")).lower():
            before = (existing.document.get("identity") or {}) if existing is not None else {}
            document["identity"] = {
                **identity,
                "principalId": before.get("principalId") or str(uuid.uuid4()),
                "tenantId": LOCAL_TENANT,
            }
        created_at = existing.created_at if existing is not None else now
        created_by = existing.document["systemData"] if existing is not None else {"createdAt": iso(now)}
        document.update(
            {
                "properties": properties,
                "systemData": {
                    "createdBy": "ftstack-local",
                    "createdByType": "User",
                    "createdAt": created_by["createdAt"],
                    "lastModifiedBy": "ftstack-local",
                    "lastModifiedByType": "User",
                    "lastModifiedAt": iso(now),
                },
            }
        )
        if handler.has_etag:
            document["etag"] = f'"{uuid.uuid4()}"'
        internal = internal if internal is not None else handler.internal_fields(rid, body)
        if internal is not None:
            document[INTERNAL] = internal
        record = StoredResource(
            id=document["id"],
            type=document["type"],
            parent=rid.parent,
            document=document,
            created_at=created_at,
            expires_at=handler.expires_at(self, body, created_at),
        )
        self.store.put(record)
        return record

    def render(self, record: StoredResource) -> dict[str, Any]:
        """The resource as ARM answers it: the stored document plus the read-time properties."""
        shown = {k: v for k, v in record.document.items() if not k.startswith("_")}
        extra = handler_for(record.type).read_properties(self, record)
        shown["properties"] = {**shown.get("properties", {}), **extra}
        return shown

    def render_deleted(self, deleted: DeletedAccount) -> dict[str, Any]:
        """A soft-deleted account as the deletedAccounts API shows it."""
        shown = {k: v for k, v in deleted.document.items() if not k.startswith("_")}
        location = normalized_location(deleted.location)
        shown["id"] = (
            f"/subscriptions/{deleted.subscription}/providers/Microsoft.CognitiveServices/locations/{location}/"
            f"resourceGroups/{deleted.resource_group}/deletedAccounts/{deleted.name}"
        )
        shown["properties"] = {**shown.get("properties", {}), "deletedAccountId": deleted.id}
        return shown

    def remove_tree(self, resource_id: str) -> None:
        """Remove a resource and everything under its id, deepest first, running each type's removal rule."""
        with self.store.transaction():
            for record in self.store.tree(resource_id):
                handler_for(record.type).on_removed(self, record)
                self.store.delete(record.id)

    # Rules shared by several handlers.

    def account_endpoint(self, subdomain: str) -> str:
        """An account's data-plane endpoint on this server's current URL."""
        return f"{self.base_url}/accounts/{subdomain}/"

    def subdomain_owner(self, subdomain: str) -> str | None:
        """The id of the live or soft-deleted account that holds `subdomain`, if any."""
        for record in self.store.by_type(ACCOUNT):
            if record.document[INTERNAL]["subdomain"] == subdomain:
                return record.id
        for deleted in self.store.deleted_accounts():
            if deleted.subdomain == subdomain:
                return deleted.id
        return None

    def dns_configs(self, target_id: str, endpoint_id: str) -> list[dict[str, Any]]:
        """customDnsConfigs of a private endpoint to `target_id`: one FQDN per DNS zone of the account's
        kind, all on one stable private IP."""
        target = self.store.get(target_id) if target_id else None
        if target is None or target.type.lower() != ACCOUNT.lower():
            return []
        subdomain = target.document[INTERNAL]["subdomain"]
        try:
            zones = private_link_facts(str(target.document.get("kind", "OpenAI"))).zones
        except CatalogError:
            zones = ("privatelink.openai.azure.com",)
        digest = hashlib.sha256(endpoint_id.lower().encode()).digest()
        address = f"10.{digest[0]}.{digest[1]}.{4 + digest[2] % 250}"
        return [
            {"fqdn": f"{subdomain}.{z.removeprefix('privatelink.')}", "ipAddresses": [address]} for z in zones
        ]

    def check_no_write_in_flight(self, account: StoredResource) -> None:
        """A 409 RequestConflict while another deployment write to the account runs."""
        if account.key in self._writes_in_flight:
            raise ArmError(
                409,
                "RequestConflict",
                f"Another operation is being performed on the parent resource '{account.id}'. Please try again "
                "later.",
            )

    def deployment_write(self, account: StoredResource) -> _DeploymentWrite:
        """The async context of one deployment write: marks the account busy for the simulated write time."""
        return _DeploymentWrite(self, account.key)

    def start_propagation(self, scope: str) -> None:
        """Deny the data plane of accounts in `scope` for the configured propagation time."""
        seconds = self.knobs.role_assignment_propagation_seconds
        if seconds > 0:
            self._propagating.append((scope, time.monotonic() + seconds))

    def data_plane_gate(self, subdomain: str) -> LocalAccount:
        """The live account behind a data-plane request, or the ARM-style error that refuses the request."""
        self.sweep()
        account = self.accounts.live(subdomain)
        if account is None:
            raise ArmError(404, "ResourceNotFound", f"No account with the subdomain '{subdomain}' exists.")
        now = time.monotonic()
        self._propagating = [(scope, until) for scope, until in self._propagating if until > now]
        key = account.arm_id.lower()
        for scope, _ in self._propagating:
            if key == scope.lower() or key.startswith(scope.lower() + "/"):
                raise ArmError(
                    403,
                    "PermissionDenied",
                    "Principal does not have access to API/Operation: a role assignment in scope "
                    f"'{scope}' is still propagating.",
                )
        return account

    # Quota.

    def deployed_capacities(self) -> list[DeployedCapacity]:
        """Every deployment that exists, with its account's region, SKU, capacity and model (quota counts
        them)."""
        out = []
        for record in self.store.by_type(DEPLOYMENT):
            account = self.store.get(record.parent or "")
            if account is None:
                continue
            sku = record.document.get("sku") or {}
            out.append(
                DeployedCapacity(
                    region=account.document[INTERNAL]["region"],
                    sku=str(sku.get("name") or "Standard"),
                    capacity=int(sku.get("capacity") or 0),
                    model_id=str(record.document[INTERNAL]["modelId"]),
                )
            )
        return out

    def check_quota(
        self, rid: ResourceId, body: dict[str, Any], model_id: str, account: StoredResource
    ) -> None:
        """A 400 InsufficientQuota when the deployment asks for more capacity than its usage has left in the
        account's region (its own current capacity, on an update, is given back first), as Azure answers."""
        sku_body = body.get("sku")
        sku_body = sku_body if isinstance(sku_body, dict) else {}
        sku = str(sku_body.get("name") or "Standard")
        capacity = int(sku_body.get("capacity") or 0)
        name = usage_name(sku, model_id)
        if name is None:
            return
        region = account.document[INTERNAL]["region"]
        quota = self.knobs.quota
        current = quota.outside(region, name)
        for record in self.store.by_type(DEPLOYMENT):
            if record.key == rid.key:
                continue
            owner = self.store.get(record.parent or "")
            deployed = record.document.get("sku") or {}
            if (
                owner is not None
                and owner.document[INTERNAL]["region"] == region
                and usage_name(
                    str(deployed.get("name") or "Standard"), str(record.document[INTERNAL]["modelId"])
                )
                == name
            ):
                current += int(deployed.get("capacity") or 0)
        limit = quota.limit(region, name)
        available = max(0.0, limit - current)
        if capacity > available:
            label = f"Tokens Per Minute (thousands) - {name.split('.', 2)[2]}"
            raise ArmError(
                400,
                "InsufficientQuota",
                f"This operation require {capacity} new capacity in quota {label}, which is bigger than the "
                f"current available capacity {available:g}. The current quota usage is {current:g} and the quota "
                f"limit is {limit:g} for quota {label}.",
            )

    # Time.

    def sweep(self) -> None:
        """Remove what the service removes by itself by now (expired DeveloperTier deployments)."""
        expired = self.store.expired(self.clock.now())
        for record in expired:
            self.remove_tree(record.id)

    def advance_clock(self, seconds: Any) -> float:
        """Jump the shared simulated clock forward; returns the new simulated now."""
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise ArmError(
                400, "InvalidRequestContent", 'The body must be {"advance_seconds": <seconds, 0 or more>}.'
            )
        self.clock.advance(float(seconds))
        self.save_clock()
        self.accounts.sync_all()
        self.sweep()
        return self.clock.now()

    def save_clock(self) -> None:
        """Remember the simulated now, so that a restart resumes from it."""
        self.store.set_meta(CLOCK_META_KEY, repr(self.clock.now()))

    # Admin views.

    def inventory(self) -> dict[str, Any]:
        """What exists: ARM resources, soft-deleted accounts, and each account's data plane. Live accounts
        are under `accounts`; a soft-deleted account's files and jobs stay (for a restore) and are shown
        under `softDeletedAccountData` until it is purged."""
        self.sweep()
        deleted = {d.subdomain for d in self.store.deleted_accounts()}
        return {
            "resources": [{"id": r.id, "type": r.type} for r in self.store.all()],
            "softDeletedAccounts": [d.id for d in self.store.deleted_accounts()],
            "accounts": {a.subdomain: a.summary() for a in self.accounts.all() if a.subdomain not in deleted},
            "softDeletedAccountData": {
                a.subdomain: a.summary() for a in self.accounts.all() if a.subdomain in deleted
            },
        }

    def close(self) -> None:
        """Save the clock and every account, and close the store."""
        self.save_clock()
        self.accounts.close_all()
        self.store.close()


def start_clock(store: ArmStore, time_scale: float) -> SimulatedClock:
    """The shared simulated clock, resuming where the saved one stopped (or at wall-clock time if later)."""
    saved = store.meta(CLOCK_META_KEY)
    return SimulatedClock(time_scale, start=max(float(saved or 0.0), time.time()))
