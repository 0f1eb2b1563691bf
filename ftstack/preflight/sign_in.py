"""Whether this runner has an Azure sign-in, judged without a network call.

`ftstack check` is credential-free: it reads Azure for the preflight only when the environment already
carries a sign-in that DefaultAzureCredential would use, and otherwise says "not checked: no credentials"
at once instead of probing the instance metadata endpoint and timing out. The sources checked, in
DefaultAzureCredential's order (azure-identity's EnvironmentCredential, WorkloadIdentityCredential,
ManagedIdentityCredential and AzureCliCredential read these variables and files):
- a service principal: AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or
  AZURE_CLIENT_CERTIFICATE_PATH;
- a workload identity (AKS, or GitHub's OIDC token written to a file): AZURE_FEDERATED_TOKEN_FILE with
  AZURE_TENANT_ID and AZURE_CLIENT_ID;
- a managed identity that announces its endpoint (App Service, Functions, Arc, Cloud Shell): IDENTITY_ENDPOINT
  or MSI_ENDPOINT; a VM's identity announces none, so set FTSTACK_AZURE_SIGN_IN=1 there;
- the Azure CLI signed in (`az login`, or GitHub's `azure/login`): a token cache in AZURE_CONFIG_DIR or ~/.azure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

FORCE_ENV = "FTSTACK_AZURE_SIGN_IN"
CLI_TOKEN_CACHES = ("msal_token_cache.json", "msal_token_cache.bin")
NO_SIGN_IN = (
    "no Azure sign-in found: `az login`, AZURE_TENANT_ID and AZURE_CLIENT_ID with a secret, certificate or "
    f"federated token file, or a managed identity (set {FORCE_ENV}=1 on a VM)"
)


def sign_in_source(environ: Mapping[str, str] | None = None, home: Path | None = None) -> str | None:
    """The kind of Azure sign-in the environment carries (`service principal`, `workload identity`,
    `managed identity`, `Azure CLI`, `forced`), or None when there is none."""
    env = os.environ if environ is None else environ

    def has(*names: str) -> bool:
        return all(env.get(name, "").strip() for name in names)

    if has(FORCE_ENV) and env[FORCE_ENV].strip() not in ("0", "false"):
        return "forced"
    if has("AZURE_TENANT_ID", "AZURE_CLIENT_ID") and (
        has("AZURE_CLIENT_SECRET") or has("AZURE_CLIENT_CERTIFICATE_PATH")
    ):
        return "service principal"
    if has("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"):
        return "workload identity"
    if has("IDENTITY_ENDPOINT") or has("MSI_ENDPOINT"):
        return "managed identity"
    config_dir = (
        Path(env["AZURE_CONFIG_DIR"]) if has("AZURE_CONFIG_DIR") else (home or Path.home()) / ".azure"
    )
    if any((config_dir / name).is_file() for name in CLI_TOKEN_CACHES):
        return "Azure CLI"
    return None
