"""The policy pack's own virtualenv (PulumiPolicy.yaml's `virtualenv`), made before the engine loads the pack.

The real CLI refuses a pack whose virtualenv is missing (a user runs `pulumi install` in the pack first);
`ftstack local` makes it on first use from the pack's requirements with the checkout's
`scripts/sync_policy_pack.py --venv`, under a lock so that concurrent commands build it once.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import yaml

PACK_FILE = "PulumiPolicy.yaml"
MAKER = Path("scripts") / "sync_policy_pack.py"


class PolicyPackVenvError(RuntimeError):
    """The pack's virtualenv is missing and could not be made; the message says what to run."""


def pack_virtualenv(pack_dir: Path) -> Path | None:
    """The virtualenv the pack names (absolute), or None when it names none."""
    document = yaml.safe_load((pack_dir / PACK_FILE).read_text(encoding="utf-8")) or {}
    runtime = document.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    return (pack_dir / venv).resolve() if isinstance(venv, str) and venv else None


def ensure_pack_virtualenv(project_dir: Path, pack_dir: Path, env: dict[str, str]) -> None:
    """Make the pack's virtualenv when it names one that does not exist yet."""
    venv = pack_virtualenv(pack_dir)
    if venv is None or (venv / "bin" / "python").exists():
        return
    maker = project_dir / MAKER
    if not maker.is_file():
        raise PolicyPackVenvError(
            f"the policy pack's virtualenv {venv} does not exist; run `pulumi install` in {pack_dir}"
        )
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f".{venv.name}.lock").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / "bin" / "python").exists():
            return
        print(f"ftstack local: making the policy pack's virtualenv {venv.name}", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, str(maker), "--venv"],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise PolicyPackVenvError(
                f"could not make the policy pack's virtualenv {venv}: {detail[0]}; "
                f"run `python {MAKER} --venv` in {project_dir}"
            )
