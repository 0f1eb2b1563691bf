"""`ftstack local up` runs the quota preflight first, with the real engine: a stack beyond the local Azure's
configured quota is refused (exit 1) before Pulumi creates anything, so no job trains."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.engine_harness import engine_unavailable, ftstack_local, inventory, local_project, session

_unavailable = engine_unavailable()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=f"real engine unavailable: {_unavailable}")


def test_local_up_refuses_a_stack_beyond_the_local_quota_before_any_job_trains(tmp_path: Path) -> None:
    project = local_project(tmp_path / "project")
    try:
        with session(project, "prod-eu").azure.client() as http:  # starts the local Azure
            quota = {
                "usages": {
                    "swedencentral": {"OpenAI.Standard.gpt-4o-mini": {"limit": 30, "currentValue": 25}}
                }
            }
            http.post("/local/knobs", json={"quota": quota}).raise_for_status()
        done = ftstack_local(project, "up", "--stack", "prod-eu")
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
        assert (
            "error: preflight: Standard gpt-4o-mini in swedencentral: 5 TPM-thousands free, 10 asked"
            in done.stderr
        )
        held = inventory(project, "prod-eu")
        assert held["accounts"] == {}  # nothing was created: no account, so no file and no job
        assert not [r for r in held["resources"] if r["type"].endswith("/accounts")]
    finally:
        ftstack_local(project, "stop")
