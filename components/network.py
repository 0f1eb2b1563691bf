"""PrivateLink: a private endpoint to one account, with the private DNS zones its kind needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network, privatedns

from ftstack.catalog.dns_zones import private_link_facts
from ftstack.config.network_rules import missing_zones
from ftstack.config.schema import PrivateEndpointSpec

ZONE_LOCATION = "global"  # private DNS zones and their VNet links are global resources
ZONE_GROUP_NAME = "default"


@dataclass(frozen=True)
class PrivateLinkArgs:
    """The account to reach, the endpoint spec from config, where the endpoint lives, and whether the stack
    creates the DNS zones (`ftstack.config.network_rules.creates_zones`) or uses existing ones by id."""

    account_id: pulumi.Input[str]
    account_name: str
    account_kind: str
    resource_group_name: pulumi.Input[str]
    location: str  # the endpoint's region: its subnet's VNet region, which may differ from the account's
    spec: PrivateEndpointSpec
    create_zones: bool
    tags: dict[str, str] = field(default_factory=dict)


class PrivateLink(pulumi.ComponentResource):
    """Private endpoint (group id from the account kind), DNS zones created and linked or existing by id,
    and the DNS zone group that registers the endpoint in every zone.

    Existing zones are taken as already linked to the VNets that resolve them (they belong to the caller).
    `vnet_links` are the links of created zones: until they exist, the endpoint's name does not resolve
    from those VNets, so whatever calls the account through it (a fine-tuning job) waits for them.
    """

    endpoint_id: pulumi.Output[str]
    zone_ids: dict[str, pulumi.Output[str]]
    vnet_links: list[privatedns.VirtualNetworkLink]

    def __init__(self, name: str, args: PrivateLinkArgs, opts: pulumi.ResourceOptions | None = None):
        facts = private_link_facts(args.account_kind)
        missing = missing_zones(args.account_kind, args.spec, args.create_zones)
        if missing:
            raise ValueError(f"no zone id for {', '.join(missing)} and the stack does not create zones")
        super().__init__("ftstack:network:PrivateLink", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vnet_links = []
        endpoint_name = args.spec.name or f"pe-{args.account_name}"
        self.endpoint = network.PrivateEndpoint(
            endpoint_name,
            private_endpoint_name=endpoint_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            subnet=network.SubnetArgs(id=args.spec.subnet_id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=f"{endpoint_name}-{facts.group_id}",
                    private_link_service_id=args.account_id,
                    group_ids=[facts.group_id],
                )
            ],
            tags=args.tags,
            opts=child,
        )
        self.zone_ids = {zone: self._zone(zone, args, child) for zone in facts.zones}
        self.zone_group = network.PrivateDnsZoneGroup(
            f"{endpoint_name}-dns",
            private_dns_zone_group_name=ZONE_GROUP_NAME,
            private_endpoint_name=self.endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=zone.replace(".", "-"), private_dns_zone_id=zone_id)
                for zone, zone_id in self.zone_ids.items()
            ],
            opts=child,
        )
        self.endpoint_id = self.endpoint.id
        self.register_outputs(
            {
                "endpoint_id": self.endpoint_id,
                "zone_ids": self.zone_ids,
                "vnet_link_ids": [link.id for link in self.vnet_links],
            }
        )

    def _zone(self, zone: str, args: PrivateLinkArgs, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """The zone's id: the existing one from config, or a created zone linked to each listed VNet."""
        existing = args.spec.dns_zones.existing_zone_ids.get(zone)
        if existing is not None:  # without create_zones every zone has one (checked in __init__)
            return pulumi.Output.from_input(existing)
        created = privatedns.PrivateZone(
            zone,
            private_zone_name=zone,
            resource_group_name=args.resource_group_name,
            location=ZONE_LOCATION,
            tags=args.tags,
            opts=child,
        )
        for vnet_id in args.spec.dns_zones.virtual_network_ids:
            vnet_name = vnet_id.rstrip("/").rsplit("/", 1)[-1]
            link = privatedns.VirtualNetworkLink(
                f"{zone}-{vnet_name}",
                virtual_network_link_name=f"{vnet_name}-link",
                private_zone_name=created.name,
                resource_group_name=args.resource_group_name,
                location=ZONE_LOCATION,
                virtual_network=privatedns.SubResourceArgs(id=vnet_id),
                registration_enabled=False,
                tags=args.tags,
                opts=child,
            )
            self.vnet_links.append(link)
        return created.id
