"""The local Azure provider: a Pulumi resource provider plugin that stands in for azure-native under `ftstack local`.

The real Pulumi CLI launches it as `pulumi-resource-azure-native`; it speaks the provider gRPC protocol and turns
each call into a REST call on the local Azure server (FTSTACK_LOCAL_AZURE_URL), holding no state itself.
"""
