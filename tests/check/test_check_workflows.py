"""The GitHub workflows: valid against the workflow schema, and doing what reviewers and compliance rely on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftstack.config import stack_names
from tests.check.check_projects import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run([*command, *map(str, files)], capture_output=True, text=True, check=False)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in job["steps"])


def test_every_workflow_file_is_valid_against_the_github_workflow_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pull-request.yml", "deploy.yml"}
    result = schema_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  check:\n    steps:\n      - run: make test\n")  # no runs-on
    assert schema_check(broken).returncode != 0


def test_pull_requests_get_tests_and_a_check_of_every_stack_in_one_updated_comment():
    workflow = load(PULL_REQUEST)
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["check"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "id-token" not in job["permissions"], "the check needs no credentials"
    script = scripts(job)
    assert "make test" in script
    assert "for file in stacks/Pulumi.*.yaml" in script
    assert 'ftstack check --stack "$stack" --format markdown' in script
    comment = steps_using(job, "actions/github-script")[0]["with"]["script"]
    assert "<!-- ftstack-check -->" in script and "<!-- ftstack-check -->" in comment
    assert "updateComment" in comment and "createComment" in comment
    verdict = job["steps"][-1]
    assert verdict["if"] == "steps.check.outputs.exit-code != '0'" and 'exit "$code"' in verdict["run"]


FAKE_FTSTACK = """#!/bin/sh
# $3 is the stack: each fake stack answers as its name says.
case "$3" in
  clean) echo '### ✅ **clean**: compliant, no violations; 3 resources'; exit 0 ;;
  breach) echo '### ❌ **breach**: not compliant, 1 mandatory violation; 3 resources'; exit 1 ;;
  badconfig) echo 'error: stacks/Pulumi.badconfig.yaml: name: required key is missing' >&2; exit 2 ;;
  crash) echo 'Traceback (most recent call last): ZeroDivisionError' >&2; exit 1 ;;
esac
"""


def run_check_step(tmp_path: Path, stacks: list[str]) -> tuple[str, str]:
    """The workflow's check and verdict steps, run against a fake `ftstack`: (comment, verdict exit code)."""
    job = load(PULL_REQUEST)["jobs"]["check"]
    step = next(s for s in job["steps"] if s.get("id") == "check")
    (tmp_path / "stacks").mkdir()
    for stack in stacks:
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    fake = tmp_path / ".venv" / "bin" / "ftstack"
    fake.parent.mkdir(parents=True)
    fake.write_text(FAKE_FTSTACK)
    fake.chmod(0o755)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
    code = outputs.read_text().strip().removeprefix("exit-code=")
    verdict = job["steps"][-1]["run"].replace("${{ steps.check.outputs.exit-code }}", code)
    done = subprocess.run(["bash", "-c", verdict], capture_output=True, text=True, check=False)
    assert str(done.returncode) == code
    return (tmp_path / "check-report.md").read_text(), code + "|" + done.stdout


def test_a_policy_violation_fails_the_pull_request_with_exit_1_and_says_so(tmp_path):
    comment, verdict = run_check_step(tmp_path, ["clean", "breach"])
    assert verdict.startswith("1|") and "a mandatory policy is violated" in verdict
    assert "### ❌ **breach**" in comment and "**Verdict: policy violation (exit 1)**" in comment


@pytest.mark.parametrize(
    ("stack", "heading"),
    [
        ("badconfig", "### ⚠️ **badconfig**: configuration error (exit 2), not checked"),
        (
            "crash",
            "### 💥 **crash**: ftstack check crashed (exit 1), not checked; this is not a policy verdict",
        ),
    ],
)
def test_a_config_error_or_a_crash_is_exit_2_and_never_reads_as_a_policy_violation(tmp_path, stack, heading):
    comment, verdict = run_check_step(tmp_path, ["breach", stack])
    assert verdict.startswith("2|") and "this is not a policy verdict" in verdict
    assert heading in comment and "**Verdict: error (exit 2)**" in comment


def test_the_preview_runs_preflight_and_the_policy_pack_with_the_generated_config_for_every_stack():
    job = load(PULL_REQUEST)["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == stack_names(ROOT)
    script = scripts(job)
    assert 'ftstack policy-config --stack "$STACK" --out policy-config.json' in script
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    names = [s.get("run", "") for s in job["steps"]]
    preflight = next(i for i, run in enumerate(names) if 'ftstack preflight --stack "$STACK"' in run)
    preview = next(i for i, run in enumerate(names) if "pulumi preview " in run)
    assert preflight < preview, "quota shortfalls are found before the preview"
    assert "--policy-pack policies --policy-pack-config policy-config.json" in script
    assert "scripts/sync_policy_pack.py --venv" in script, "the pack runs in its own venv"


def test_pull_request_code_reaches_azure_only_as_the_read_only_identity_and_never_from_a_fork():
    workflow = load(PULL_REQUEST)
    job = workflow["jobs"]["preview"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "vars.AZURE_PREVIEW_CLIENT_ID != ''" in job["if"]
    assert "!github.event.pull_request.head.repo.fork" in job["if"]
    text = PULL_REQUEST.read_text(encoding="utf-8")
    assert "vars.AZURE_CLIENT_ID" not in text, "the deploy identity never signs in for a pull request"
    assert (
        job["env"]["ARM_CLIENT_ID"] == job["env"]["AZURE_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    )
    login = steps_using(job, "azure/login")[0]["with"]
    assert login["client-id"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    assert all(j["runs-on"] == "ubuntu-latest" for j in workflow["jobs"].values()), (
        "pull-request code never runs on the self-hosted runners inside the VNet"
    )


def test_the_preview_does_not_refresh_and_skips_a_stack_that_does_not_exist_yet():
    script = scripts(load(PULL_REQUEST)["jobs"]["preview"])
    assert re.search(r"pulumi preview [^\n]*--refresh=false", script)
    assert "--create" not in script, "a pull request never creates a stack"
    assert "pulumi stack ls --all --json" in script


def test_the_deploy_makes_the_policy_packs_own_venv_before_pulumi_up():
    for name in ("dev", "production"):
        runs = [s.get("run", "") for s in load(DEPLOY)["jobs"][name]["steps"]]
        venv = next(i for i, run in enumerate(runs) if "scripts/sync_policy_pack.py --venv" in run)
        up = next(i for i, run in enumerate(runs) if "pulumi up " in run)
        assert venv < up, name


def test_stacks_behind_a_private_endpoint_deploy_on_the_self_hosted_runner_inside_the_vnet():
    from ftstack.config import load_environment
    from ftstack.config.runner_placement import deploy_matrix

    matrix = deploy_matrix(ROOT)
    entries = {e["stack"]: e for e in matrix["dev"] + matrix["production"]}
    private = [
        s
        for s in stack_names(ROOT)
        if load_environment(s, ROOT)[1].network.runner_access == "private-endpoint"
    ]
    assert private, "the shipped production stacks reach their accounts through a private endpoint"
    for stack in private:
        assert entries[stack]["runs-on"] == ["self-hosted", "ftstack-private-endpoint"], stack


def test_each_deploy_job_outlasts_the_wait_bounds_of_its_stacks_jobs():
    from ftstack.config import load_environment
    from ftstack.config.runner_placement import deploy_matrix

    matrix = deploy_matrix(ROOT)
    for entry in matrix["dev"] + matrix["production"]:
        _, env = load_environment(str(entry["stack"]), ROOT)
        bounds = [job.wait_timeout_minutes for job in env.fine_tuning.jobs if job.wait]
        assert int(str(entry["timeout"])) > max(bounds, default=0), entry


def test_merges_deploy_dev_first_and_production_only_through_approved_environments():
    from ftstack.config.runner_placement import deploy_matrix

    workflow = load(DEPLOY)
    assert workflow["on"]["push"]["branches"] == ["main"]
    dev, production = workflow["jobs"]["dev"], workflow["jobs"]["production"]
    assert production["needs"] == ["plan", "dev"]
    # The stacks of each group come from their config (`production: true`), in the plan job.
    matrix = deploy_matrix(ROOT)
    deployed = [e["stack"] for e in matrix["dev"] + matrix["production"]]
    assert sorted(deployed) == stack_names(ROOT)
    assert all(str(e["stack"]).startswith("prod") for e in matrix["production"])
    for job in (dev, production):
        assert job["environment"] == "${{ matrix.stack }}"
        assert job["strategy"]["matrix"]["include"].startswith("${{ fromJSON(needs.plan.outputs.")
        assert "--policy-pack policies" in scripts(job) and "pulumi up " in scripts(job)
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["concurrency"]["cancel-in-progress"] is False
        assert "ftstack policy-config --stack" in scripts(job)


@pytest.mark.parametrize("path", [PULL_REQUEST, DEPLOY], ids=lambda p: p.name)
def test_workflows_grant_only_read_access_by_default(path):
    # deploy.yml grants nothing at the top; each job asks for what it needs (tests/ci/test_workflows_lint.py).
    assert load(path)["permissions"] in ({"contents": "read"}, {})


FAKE_PULUMI = """#!/bin/sh
echo "pulumi $*" >> calls.log
case "$1 $2" in
  "stack ls") [ -n "$BACKEND_DOWN" ] && { echo 'error: could not reach the backend' >&2; exit 255; }
              echo '[{"name": "org/ftstack/dev"}, {"name": "org/ftstack/prod-eu"}]' ;;
esac
"""


def run_preview_step(tmp_path: Path, stack: str, **env: str) -> tuple[int, str, str]:
    """The preview job's `pulumi preview` step against a fake `pulumi`: (exit code, stdout, pulumi calls)."""
    job = load(PULL_REQUEST)["jobs"]["preview"]
    step = next(s for s in job["steps"] if "pulumi preview " in s.get("run", ""))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(FAKE_PULUMI)
    (bin_dir / "pulumi").chmod(0o755)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STACK": stack, **env}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    calls = (tmp_path / "calls.log").read_text() if (tmp_path / "calls.log").exists() else ""
    return done.returncode, done.stdout, calls


def test_the_preview_step_previews_an_existing_stack_without_refreshing(tmp_path):
    code, _, calls = run_preview_step(tmp_path, "prod-eu")
    assert code == 0
    assert "pulumi stack select --non-interactive prod-eu" in calls
    assert re.search(r"pulumi preview .*--refresh=false --stack prod-eu .*--policy-pack policies", calls)


def test_the_preview_step_skips_a_new_stack_with_a_notice_and_never_creates_it(tmp_path):
    code, out, calls = run_preview_step(tmp_path, "prod-us")
    assert code == 0 and "::notice::stack prod-us does not exist yet" in out
    assert "pulumi preview" not in calls and "select" not in calls


def test_the_preview_step_fails_when_the_backend_cannot_be_read_instead_of_skipping(tmp_path):
    code, out, calls = run_preview_step(tmp_path, "prod-eu", BACKEND_DOWN="1")
    assert code != 0 and "does not exist yet" not in out
    assert "pulumi preview" not in calls
