"""The local workspace of one checkout: its own Pulumi home, file backend, local Azure state, the stand-in
provider plugin and the generated stack and policy configs, all under the git-ignored `.ftstack/local/`.

Nothing here touches a user's own `~/.pulumi`, plugins or backend: every `pulumi` run gets `PULUMI_HOME`
and `PULUMI_BACKEND_URL` pointing inside the workspace.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

LOCAL_DIR = Path(".ftstack") / "local"
# Local only: the file backend's secrets are encrypted with this fixed passphrase; nothing secret is kept.
LOCAL_PASSPHRASE = "ftstack-local"
AZURE_NATIVE = "azure-native"


def azure_native_version() -> str:
    """The azure-native plugin version the installed SDK registers resources with."""
    try:
        manifest = metadata.files("pulumi-azure-native") or []
        plugin_json = next(f for f in manifest if f.name == "pulumi-plugin.json")
        return str(json.loads(plugin_json.read_text(encoding="utf-8"))["version"]).lstrip("v")
    except (StopIteration, OSError, KeyError, ValueError):
        return metadata.version("pulumi-azure-native")


@dataclass(frozen=True)
class LocalWorkspace:
    """The paths of one checkout's local workspace."""

    project_dir: Path

    @property
    def root(self) -> Path:
        """`.ftstack/local` in the project."""
        return self.project_dir / LOCAL_DIR

    @property
    def pulumi_home(self) -> Path:
        """PULUMI_HOME for local runs (plugins, credentials, workspace settings)."""
        return self.root / "pulumi-home"

    @property
    def backend_dir(self) -> Path:
        """The file backend's folder."""
        return self.root / "state"

    @property
    def azure_home(self) -> Path:
        """The local Azure server's state (ARM resources, accounts' data planes, server.json, token)."""
        return self.root / "azure"

    @property
    def plugin_dir(self) -> Path:
        """Generated executables: the stand-in azure-native plugin."""
        return self.root / "bin"

    def stack_config(self, stack: str) -> Path:
        """The config file a local run passes to `--config-file`: the stack's own file plus the local salt."""
        return self.root / "stacks" / f"Pulumi.{stack}.yaml"

    def salt_file(self, stack: str) -> Path:
        """The passphrase salt of the local stack (kept apart so the repository's stack file is never written)."""
        return self.root / "stacks" / f"{stack}.salt"

    def policy_config(self, stack: str) -> Path:
        """The generated `--policy-pack-config` JSON of a stack."""
        return self.root / "policy-config" / f"{stack}.json"

    def ensure(self) -> None:
        """Create the workspace folders."""
        for folder in (
            self.pulumi_home,
            self.backend_dir,
            self.azure_home,
            self.plugin_dir,
            self.root / "stacks",
        ):
            folder.mkdir(parents=True, exist_ok=True)

    def provider_plugin(self) -> Path:
        """Write the stand-in azure-native plugin executable (this checkout's Python, the ftstack provider)."""
        target = self.plugin_dir / f"pulumi-resource-{AZURE_NATIVE}"
        script = f'#!/bin/sh\nexec "{sys.executable}" -m ftstack.local.provider "$@"\n'
        if not target.exists() or target.read_text(encoding="utf-8") != script:
            partial = target.with_suffix(".partial")
            partial.write_text(script, encoding="utf-8")
            partial.chmod(0o755)
            partial.replace(target)
        return target

    def pulumi_env(
        self, pulumi_bin: Path, extra_path: list[Path], azure_url: str, token: str
    ) -> dict[str, str]:
        """The environment of a local `pulumi` run: isolated home and backend, no update checks or plugin
        downloads, the CLI and uv on PATH, and the local Azure's address and token for the stand-in provider
        and the FineTuningJob provider."""
        env = dict(os.environ)
        # A user's overrides would send the run elsewhere: local runs talk to the local Azure only.
        for name in ("FTSTACK_FINE_TUNING_ENDPOINT", "PULUMI_ACCESS_TOKEN", "PULUMI_DEBUG_PROVIDERS"):
            env.pop(name, None)
        path = [str(pulumi_bin), *(str(p) for p in extra_path), env.get("PATH", "")]
        env.update(
            {
                "PATH": os.pathsep.join(path),
                "PULUMI_HOME": str(self.pulumi_home),
                "PULUMI_BACKEND_URL": self.backend_dir.resolve().as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
                # The language host of a CLI built by scripts/get-pulumi.sh runs in this Python.
                "FTSTACK_PYTHON": sys.executable,
                "FTSTACK_LOCAL_AZURE_URL": azure_url,
                "FTSTACK_LOCAL_AZURE_TOKEN": token,
                "FTSTACK_TOKEN": token,
            }
        )
        return env
