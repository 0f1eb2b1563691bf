"""Private DNS zones of the private endpoint: created by the stack, or the hub's existing ones.

In a hub-and-spoke landing zone the hub owns `privatelink.openai.azure.com` (and its siblings) and links
them to every spoke VNet. Azure refuses to link a second zone of the same name to a VNet, so a stack that
creates its own zones breaks there. Production stacks therefore use existing zones unless they say
`dnsZones.create: true`; other stacks create them unless they say otherwise.
"""

from __future__ import annotations

from ftstack.catalog.dns_zones import private_link_facts
from ftstack.config.problems import ConfigProblem
from ftstack.config.schema import EnvironmentConfig, PrivateEndpointSpec

ZONE_IDS_KEY = "network.privateEndpoint.dnsZones.existingZoneIds"
HUB_CLASH = (
    "Azure refuses a second private DNS zone of the same name linked to one VNet, and a hub-and-spoke "
    "landing zone already links these zones centrally"
)


def creates_zones(spec: PrivateEndpointSpec, production: bool) -> bool:
    """Whether the stack creates the endpoint's DNS zones: `dnsZones.create`, else only outside production."""
    return spec.dns_zones.create if spec.dns_zones.create is not None else not production


def missing_zones(kind: str, spec: PrivateEndpointSpec, create: bool) -> list[str]:
    """The DNS zones the account kind needs that the stack neither creates nor gives by id."""
    if create:
        return []
    return [z for z in private_link_facts(kind).zones if z not in spec.dns_zones.existing_zone_ids]


def dns_zone_problems(env: EnvironmentConfig) -> list[ConfigProblem]:
    """A problem when the endpoint's zones are neither created nor all given by id, saying which are missing."""
    spec = env.network.private_endpoint
    if spec is None:
        return []
    missing = missing_zones(env.account.kind, spec, creates_zones(spec, env.production))
    if not missing:
        return []
    if spec.dns_zones.create is None:
        message = (
            f"a production stack uses the hub's existing private DNS zones: give the ids of "
            f"{', '.join(missing)} (.../providers/Microsoft.Network/privateDnsZones/<zone>), or set "
            f"dnsZones.create: true to create and link them in this stack where no hub does ({HUB_CLASH})"
        )
    else:
        message = (
            f"a {env.account.kind} account needs the zones {', '.join(missing)} too; give their ids or set "
            "dnsZones.create: true"
        )
    return [ConfigProblem(ZONE_IDS_KEY, message)]
