"""Monitoring: diagnostic settings of one account to a Log Analytics workspace (created or existing)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import monitor, operationalinsights

from ftstack.config.schema import DiagnosticsSpec

WORKSPACE_SKU = "PerGB2018"
ALL_METRICS = "AllMetrics"


@dataclass(frozen=True)
class MonitoringArgs:
    """The account to watch, the diagnostics spec from config, and where a created workspace goes."""

    account_id: pulumi.Input[str]
    account_name: str
    resource_group_name: pulumi.Input[str]
    location: str
    spec: DiagnosticsSpec
    tags: dict[str, str] = field(default_factory=dict)


class Monitoring(pulumi.ComponentResource):
    """A DiagnosticSetting sending the configured log categories (audit, request/response, ...) and all
    metrics to a workspace; the workspace is created (with its retention) unless the config gives its id."""

    workspace_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ftstack:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        workspace_spec = args.spec.log_analytics
        if workspace_spec.workspace_id is not None:
            self.workspace_id = pulumi.Output.from_input(workspace_spec.workspace_id)
        else:
            workspace_name = workspace_spec.name or f"law-{args.account_name}"
            workspace = operationalinsights.Workspace(
                workspace_name,
                workspace_name=workspace_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=operationalinsights.WorkspaceSkuArgs(name=WORKSPACE_SKU),
                retention_in_days=workspace_spec.retention_days,
                tags=args.tags,
                opts=child,
            )
            self.workspace_id = workspace.id
        self.setting = monitor.DiagnosticSetting(
            f"{args.account_name}-diagnostics",
            name=f"{args.account_name}-diagnostics",
            resource_uri=args.account_id,
            workspace_id=self.workspace_id,
            logs=[
                monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
                for category in args.spec.log_categories
            ],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category=ALL_METRICS, enabled=True)]
            if args.spec.metrics
            else [],
            opts=child,
        )
        self.register_outputs({"workspace_id": self.workspace_id})
