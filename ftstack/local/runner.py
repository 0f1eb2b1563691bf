"""`ftstack local`: the real `pulumi` CLI on the local Azure, with the policy pack and the pack config
generated from the stack, in the checkout's own Pulumi home and file backend.

Each command validates the stack's config first (a config error is exit 2 before the engine starts),
starts the local Azure when it is not running, and streams Pulumi's own output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftstack.config.stack_selection import stack_short_name as stack_name  # one rule for stack names
from ftstack.local import azure_process, toolchain
from ftstack.local.policy_pack_venv import PolicyPackVenvError, ensure_pack_virtualenv
from ftstack.local.workspace import AZURE_NATIVE, LocalWorkspace, azure_native_version

POLICY_PACK_DIR = "policies"
ACCOUNT_TYPE = "azure-native:cognitiveservices:Account"
SALT_LINE = re.compile(r"^encryptionsalt:.*$", re.MULTILINE)


class LocalConfigError(ValueError):
    """The stack cannot be run locally as given (unknown stack, invalid config); one line per problem."""

    def __init__(self, lines: Sequence[str]):
        super().__init__("; ".join(lines))
        self.lines = list(lines)


class LocalRunError(RuntimeError):
    """A tool the run needs is missing, or the local Azure could not start."""


@dataclass(frozen=True)
class LocalSession:
    """What one local command runs with: the workspace, the CLI, the local Azure and the environment."""

    workspace: LocalWorkspace
    stack: str
    pulumi_bin: Path
    azure: azure_process.LocalAzure
    env: dict[str, str]

    def pulumi(
        self, *args: str, capture: bool = False, cwd: Path | None = None, to_stderr: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the real `pulumi` with the local environment; output streams through unless captured
        (to stderr with `to_stderr`, so that stdout carries only what the command itself prints)."""
        return subprocess.run(
            [str(self.pulumi_bin / "pulumi"), *args],
            cwd=cwd or self.workspace.project_dir,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE if capture else (sys.stderr if to_stderr else None),
            stderr=subprocess.PIPE if capture else None,
            check=False,
        )

    @property
    def stack_args(self) -> list[str]:
        """`-s STACK --config-file <local copy>` (the repository's stack file is never written)."""
        return ["--stack", self.stack, "--config-file", str(self.workspace.stack_config(self.stack))]

    @property
    def policy_args(self) -> list[str]:
        """The policy pack and the config generated from the stack's residency settings."""
        project = self.workspace.project_dir
        return [
            "--policy-pack",
            str(project / POLICY_PACK_DIR),
            "--policy-pack-config",
            str(self.workspace.policy_config(self.stack)),
        ]


def _validated_pack_config(stack: str, project_dir: Path) -> dict[str, Any]:
    """The stack's pack config; the stack's config is validated on the way (exit 2 on any problem)."""
    from ftstack.check.runner import CheckConfigError, stack_pack_config

    try:
        return stack_pack_config(stack, project_dir)
    except CheckConfigError as error:
        raise LocalConfigError(error.lines) from None


def open_session(project_dir: Path, stack: str) -> LocalSession:
    """Validate the stack, make sure the CLI, the local Azure, the stand-in plugin and the local stack
    exist, and write the stack's local config and pack config."""
    stack = stack_name(stack)
    pack_config = _validated_pack_config(stack, project_dir)
    workspace = LocalWorkspace(project_dir)
    workspace.ensure()
    try:
        pulumi_bin = toolchain.pulumi_bin_dir(project_dir)
        azure = azure_process.ensure_running(workspace.azure_home)
    except (toolchain.ToolchainError, azure_process.LocalAzureError) as error:
        raise LocalRunError(str(error)) from None
    extra = [p for p in (toolchain.uv_dir(),) if p is not None]
    session = LocalSession(
        workspace, stack, pulumi_bin, azure, workspace.pulumi_env(pulumi_bin, extra, azure.url, azure.token)
    )
    _install_provider(session)
    try:
        ensure_pack_virtualenv(project_dir, project_dir / POLICY_PACK_DIR, session.env)
    except PolicyPackVenvError as error:
        raise LocalRunError(str(error)) from None
    _write_stack_config(session, _salt(session))
    policy_file = workspace.policy_config(stack)
    policy_file.parent.mkdir(parents=True, exist_ok=True)
    policy_file.write_text(json.dumps(pack_config, indent=2) + "\n", encoding="utf-8")
    return session


def _install_provider(session: LocalSession) -> None:
    """Install the stand-in azure-native plugin into the workspace's PULUMI_HOME (never the user's)."""
    version = azure_native_version()
    plugin = session.workspace.provider_plugin()
    installed = session.workspace.pulumi_home / "plugins" / f"resource-{AZURE_NATIVE}-v{version}"
    binary = installed / plugin.name
    if binary.is_file() and binary.read_bytes() == plugin.read_bytes():
        return
    done = session.pulumi(
        "plugin",
        "install",
        "resource",
        AZURE_NATIVE,
        version,
        "--file",
        str(plugin),
        "--reinstall",
        capture=True,
    )
    if done.returncode != 0:
        raise LocalRunError(
            f"could not install the local azure-native plugin: {done.stderr.strip() or done.stdout.strip()}"
        )


def _project_name(project_dir: Path) -> str:
    import yaml

    data = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    return str(data.get("name", "ftstack"))


def _salt(session: LocalSession) -> str:
    """The passphrase salt of the local stack, creating the stack when the backend lacks it. The stack is
    created from a scratch project of the same name, so `pulumi stack init` writes its salt there and not
    into the repository's stack file."""
    workspace = session.workspace
    salt_file = workspace.salt_file(session.stack)
    project = _project_name(workspace.project_dir)
    exists = (workspace.backend_dir / ".pulumi" / "stacks" / project / f"{session.stack}.json").exists()
    if exists and salt_file.is_file():
        return salt_file.read_text(encoding="utf-8").strip()
    with tempfile.TemporaryDirectory(prefix="ftstack-stack-init-") as scratch:
        (Path(scratch) / "Pulumi.yaml").write_text(f"name: {project}\nruntime: python\n", encoding="utf-8")
        if exists:
            session.pulumi("stack", "rm", session.stack, "--yes", "--force", capture=True, cwd=Path(scratch))
        done = session.pulumi(
            "stack", "init", session.stack, "--non-interactive", capture=True, cwd=Path(scratch)
        )
        if done.returncode != 0:
            raise LocalRunError(f"could not create the local stack {session.stack}: {done.stderr.strip()}")
        written = (Path(scratch) / f"Pulumi.{session.stack}.yaml").read_text(encoding="utf-8")
    match = SALT_LINE.search(written)
    if match is None:
        raise LocalRunError(f"pulumi stack init wrote no encryption salt for {session.stack}")
    salt_file.write_text(match.group(0) + "\n", encoding="utf-8")
    return match.group(0)


def _write_stack_config(session: LocalSession, salt: str) -> None:
    """The stack's config for `--config-file`: the repository's file, verbatim, under the local salt."""
    source = session.workspace.project_dir / "stacks" / f"Pulumi.{session.stack}.yaml"
    text = SALT_LINE.sub("", source.read_text(encoding="utf-8"))
    target = session.workspace.stack_config(session.stack)
    target.write_text(f"{salt}\n{text}", encoding="utf-8")


# -- the commands ------------------------------------------------------------------------------------------


def preview(session: LocalSession) -> int:
    """`pulumi preview` with the policy pack; its exit code (non-zero on a mandatory violation)."""
    return session.pulumi(
        "preview", *session.stack_args, *session.policy_args, "--non-interactive"
    ).returncode


def up(session: LocalSession) -> int:
    """`pulumi up --yes` with the policy pack (it previews first, as a user's `pulumi up` does); Pulumi's
    output goes to stderr, so stdout is left for the outputs JSON. The quota preflight runs first: a stack
    that does not fit the local Azure's quota is refused (1) before any job trains."""
    if not preflight_fits(session):
        return 1
    return session.pulumi(
        "up", "--yes", *session.stack_args, *session.policy_args, "--non-interactive", to_stderr=True
    ).returncode


def preflight_fits(session: LocalSession) -> bool:
    """The quota and capacity preflight against the local Azure; each shortfall is one line on stderr."""
    from ftstack.preflight import PreflightReadError, PreflightUsageError
    from ftstack.preflight.local import local_preflight

    try:
        report = local_preflight(
            session.workspace.project_dir, session.stack, session.azure.url, session.azure.token
        )
    except (PreflightReadError, PreflightUsageError) as error:
        sys.stderr.write(f"error: preflight: {error}\n")
        return False
    for finding in report.findings:
        sys.stderr.write(f"error: preflight: {finding.message}\n")
    return report.ok


def refresh(session: LocalSession) -> int:
    """`pulumi refresh --yes`: state brought in line with the local Azure."""
    return session.pulumi("refresh", "--yes", *session.stack_args, "--non-interactive").returncode


def destroy(session: LocalSession) -> int:
    """`pulumi destroy --yes`, then purge the accounts it soft-deleted so the stack can be created again
    (on Azure: `az cognitiveservices account purge`)."""
    accounts = [r["id"] for r in state_resources(session) if r.get("type") == ACCOUNT_TYPE and r.get("id")]
    # Production stacks protect their account and resource group; the local Azure is a sandbox.
    session.pulumi(
        "state", "unprotect", "--all", "--yes", "--stack", session.stack, "--non-interactive", capture=True
    )
    code = session.pulumi("destroy", "--yes", *session.stack_args, "--non-interactive").returncode
    if code == 0:
        purge_soft_deleted(session.azure, accounts)
    return code


def state_resources(session: LocalSession) -> list[dict[str, Any]]:
    """The resources in the stack's state (`pulumi stack export`); none for a stack never deployed."""
    done = session.pulumi("stack", "export", "--stack", session.stack, capture=True)
    if done.returncode != 0:
        return []
    deployment = json.loads(done.stdout or "{}").get("deployment", {})
    return list(deployment.get("resources") or [])


def purge_soft_deleted(azure: azure_process.LocalAzure, account_ids: list[str]) -> list[str]:
    """Purge the soft-deleted accounts among `account_ids` on the local Azure; the ids purged."""
    wanted = {a.lower() for a in account_ids}
    purged: list[str] = []
    with azure.client() as http:
        for subscription in {a.split("/")[2] for a in account_ids if a.count("/") > 2}:
            listed = http.get(
                f"/arm/subscriptions/{subscription}/providers/Microsoft.CognitiveServices/deletedAccounts"
            )
            for entry in listed.json().get("value", []) if listed.status_code == 200 else []:
                original = str(entry.get("properties", {}).get("deletedAccountId", ""))
                if original.lower() in wanted and http.delete(f"/arm{entry['id']}").status_code < 300:
                    purged.append(original)
    return purged


def stack_outputs(session: LocalSession) -> dict[str, Any]:
    """The stack's outputs (secrets shown: they are local), plus how to call the local account."""
    done = session.pulumi(
        "stack", "output", "--json", "--show-secrets", "--stack", session.stack, capture=True
    )
    if done.returncode != 0:
        raise LocalRunError(done.stderr.strip() or f"no outputs for stack {session.stack}")
    outputs: dict[str, Any] = json.loads(done.stdout or "{}")
    outputs["dataPlaneEndpoint"] = outputs.get("endpoint")
    outputs["token"] = session.azure.token
    return outputs
