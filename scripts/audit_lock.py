"""`make audit`: pip-audit every package pinned in uv.lock, and never call a run that audited nothing clean.

pip-audit prints "No known vulnerabilities found" and exits 0 when the vulnerability database cannot be
reached and every package was skipped ("could not be audited"). Here that is its own outcome, with its own
exit code, so a green audit always means the packages were really looked up.

Exit codes: 0 every package audited, none vulnerable; 1 known vulnerabilities; 3 no vulnerability
database reachable, or only part of the lock audited.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SERVICES = ("pypi", "osv")  # PyPI's JSON API first, then OSV
EXIT_VULNERABLE = 1
EXIT_NOT_AUDITED = 3


def audit(requirements: Path, service: str) -> tuple[list[dict[str, object]], str]:
    """pip-audit's per-package results against `service` (empty when it could not run), and its last error."""
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--disable-pip", "--require-hashes", "--requirement", str(requirements)]
    command += ["--vulnerability-service", service, "--format", "json", "--progress-spinner", "off"]
    done = subprocess.run(
        [*command, "--timeout", "15"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return [], lines[-1][:200] if lines else f"pip-audit exited {done.returncode}"
    dependencies = report.get("dependencies", []) if isinstance(report, dict) else []
    return [d for d in dependencies if isinstance(d, dict)], ""


def main(requirements: Path) -> int:
    """Audit the exported lock against the first reachable service; print one verdict line and findings."""
    tried: list[str] = []
    for service in SERVICES:
        dependencies, error = audit(requirements, service)
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            tried.append(f"{service}: {error or 'every package skipped (database not reachable)'}")
            continue
        vulnerable = [d for d in audited if d.get("vulns")]
        for dep in vulnerable:
            vulns = dep["vulns"]
            ids = (
                ", ".join(str(v.get("id")) for v in vulns if isinstance(v, dict))
                if isinstance(vulns, list)
                else ""
            )
            print(f"{dep['name']} {dep['version']}: {ids}")
        skipped = len(dependencies) - len(audited)
        print(
            f"make audit: {len(audited)} of {len(dependencies)} locked packages audited against {service}; "
            f"{len(vulnerable)} with known vulnerabilities"
            + (f"; {skipped} could not be audited" if skipped else "")
        )
        if vulnerable:
            return EXIT_VULNERABLE
        return EXIT_NOT_AUDITED if skipped else 0
    print(
        "make audit: no vulnerability database is reachable, so nothing was audited (tried "
        + "; ".join(tried)
        + "); run it where PyPI's JSON API or api.osv.dev can be reached",
        file=sys.stderr,
    )
    return EXIT_NOT_AUDITED


if __name__ == "__main__":
    # The Makefile exports uv.lock (every group, pinned with hashes) and passes the file.
    sys.exit(main(Path(sys.argv[1])))
