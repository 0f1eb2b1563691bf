"""AccessAssignments: built-in roles, by readable name, granted to principals on one account."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization

from ftstack.catalog.roles import BuiltInRole, load_roles
from ftstack.config.schema import RoleAssignment

# Fixed namespace so an assignment's name is the same on every run (ARM names role assignments by GUID).
ASSIGNMENT_NAMESPACE = uuid.UUID("6f1c9a52-4f0e-4c8e-9a57-3b7f0e1d2c41")


@dataclass(frozen=True)
class AccessAssignmentsArgs:
    """The account (scope) and the role assignments from config."""

    account_id: pulumi.Input[str]
    account_name: str
    resource_group_name: pulumi.Input[str]
    assignments: list[RoleAssignment]


def assignment_name(
    subscription_id: str, resource_group: str, account: str, principal: str, role_guid: str
) -> str:
    """The deterministic GUID name of one role assignment (same inputs, same name)."""
    scope = f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/accounts/{account}".lower()
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{scope}|{principal.lower()}|{role_guid}"))


def _namer(account: str, principal: str, role: BuiltInRole) -> Callable[[list[Any]], str]:
    """A function of [subscription id, resource group] giving the assignment's name."""

    def name(values: list[Any]) -> str:
        return assignment_name(str(values[0]), str(values[1]), account, principal, role.guid)

    return name


class AccessAssignments(pulumi.ComponentResource):
    """One RoleAssignment per config entry, scoped to the account, with the built-in role's definition id."""

    assignment_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: AccessAssignmentsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ftstack:access:AccessAssignments", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
        subscription = client.subscription_id
        roles = load_roles()
        self.assignments: list[authorization.RoleAssignment] = []
        for entry in args.assignments:
            role = roles.get(entry.role)
            slug = entry.role.lower().removeprefix("cognitive services ").replace(" ", "-")
            principal = hashlib.sha256(entry.principal_id.lower().encode()).hexdigest()[:8]
            self.assignments.append(
                authorization.RoleAssignment(
                    f"{args.account_name}-{slug}-{principal}",
                    role_assignment_name=pulumi.Output.all(subscription, args.resource_group_name).apply(
                        _namer(args.account_name, entry.principal_id, role)
                    ),
                    scope=args.account_id,
                    principal_id=entry.principal_id,
                    principal_type=entry.principal_type,
                    role_definition_id=subscription.apply(role.definition_id),
                    description=entry.description,
                    opts=child,
                )
            )
        self.assignment_ids = [a.id for a in self.assignments]
        self.register_outputs({"assignment_ids": self.assignment_ids})
