"""The local Azure: an ARM-like management plane and the Azure OpenAI data plane for many accounts in one
process (`python -m ftstack.local.server`), the stand-in provider plugin that drives it, and the
`ftstack local` runner of the real Pulumi CLI."""
