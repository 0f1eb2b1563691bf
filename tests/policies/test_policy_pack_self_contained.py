"""The pack is publishable: it installs from its own requirements into its own venv and runs there, with the
ftstack core it needs shipped beside it as an exact copy of the sources (scripts/sync_policy_pack.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ftstack.check.analyzer import AnalyzedResource, Analyzer, Diagnostic
from ftstack.check.policy_settings import POLICY_NAMES, pack_config
from ftstack.config import load_environment
from tests.policies.policy_args import ACCOUNT, DEPLOYMENT, JOB, deployment, job, secure_account, urn

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"
sys.path.insert(0, str(ROOT / "scripts"))
import sync_policy_pack  # noqa: E402


def test_the_shipped_core_is_an_exact_copy_of_the_ftstack_sources():
    assert sync_policy_pack.differences() == []


def test_the_sync_check_names_a_copied_file_that_drifted_from_its_source(tmp_path, monkeypatch):
    copy = tmp_path / "vendor"
    shutil.copytree(PACK / "vendor", copy, ignore=shutil.ignore_patterns("__pycache__"))
    regions = copy / "ftstack" / "catalog" / "data" / "regions.yaml"
    regions.write_text(regions.read_text(encoding="utf-8").replace("swedencentral", "swedencentrall"))
    (copy / "ftstack" / "catalog" / "data" / "models.yaml").unlink()
    (copy / "ftstack" / "stray.py").write_text("")
    monkeypatch.setattr(sync_policy_pack, "VENDOR", copy)
    assert sync_policy_pack.differences() == [
        "missing: policies/vendor/ftstack/catalog/data/models.yaml",
        "not needed: policies/vendor/ftstack/stray.py",
        "differs from ftstack/catalog/data/regions.yaml: policies/vendor/ftstack/catalog/data/regions.yaml",
    ]
    assert sync_policy_pack.main(["--check"]) == 1


def test_the_copy_holds_every_ftstack_module_the_rules_import_and_the_fact_tables_they_read():
    modules, unreached = sync_policy_pack.closure()
    assert unreached == []
    assert {"ftstack.catalog.matrix", "ftstack.catalog.regions", "ftstack.check.policy_settings"} <= set(
        modules
    )
    shipped = {p.name for p in (PACK / "vendor" / "ftstack" / "catalog" / "data").iterdir()}
    assert {"models.yaml", "regions.yaml", "roles.yaml", "deployment_types.yaml"} <= shipped


def test_the_pack_has_its_own_venv_and_requirements_without_the_ftstack_distribution():
    meta = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    venv = (PACK / meta["runtime"]["options"]["virtualenv"]).resolve()
    assert venv.is_relative_to(PACK), "the pack's venv lives inside the pack"
    requirements = [
        line.split("#")[0].strip()
        for line in (PACK / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.split("#")[0].strip()
    ]
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requirements}
    assert names == {"pulumi", "pulumi-policy", "pydantic", "pyyaml"}


@pytest.fixture(scope="module")
def clean_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the pack outside the repository and a fresh venv made from its requirements only."""
    base = tmp_path_factory.mktemp("published-pack")
    pack = base / "policies"
    local = {PACK / ".venv", PACK / "config"}  # the local venv and the generated configs stay behind
    shutil.copytree(
        PACK,
        pack,
        ignore=lambda folder, names: [n for n in names if Path(folder) / n in local or n == "__pycache__"],
    )
    python = sync_policy_pack.make_venv(base / "venv", pack / "requirements.txt")
    return pack, python


def test_the_ftstack_distribution_is_not_importable_in_the_clean_venv(clean_pack):
    pack, python = clean_pack
    done = subprocess.run(
        [str(python), "-c", "import ftstack"], cwd=pack, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and "No module named 'ftstack'" in done.stderr


def _stack_resources(location: str) -> list[AnalyzedResource]:
    account = AnalyzedResource(ACCOUNT, "acct", urn(ACCOUNT, "acct"), secure_account(location=location))
    global_deployment = AnalyzedResource(
        DEPLOYMENT,
        "dep",
        urn(DEPLOYMENT, "dep"),
        deployment(sku="GlobalStandard"),
        dependencies=[account.urn],
        property_dependencies={"accountName": [account.urn]},
    )
    training = AnalyzedResource(
        JOB,
        "job",
        urn(JOB, "job"),
        job(),
        dependencies=[account.urn],
        property_dependencies={"endpoint": [account.urn]},
    )
    return [account, global_deployment, training]


def _verdicts(
    pack: Path, python: str, python_path: list[Path], stack: str, location: str
) -> list[Diagnostic]:
    _, env = load_environment(stack, ROOT)
    resources = _stack_resources(location)
    with Analyzer(pack, python=python, python_path=python_path) as analyzer:
        assert [p.name for p in analyzer.info().policies] == list(POLICY_NAMES)
        analyzer.configure(pack_config(env, stack=stack))
        found = [d for r in resources for d in analyzer.analyze(r)]
        return found + analyzer.analyze_stack(resources)


@pytest.mark.parametrize(
    ("stack", "location", "refused"),
    [
        ("prod-eu", "swedencentral", {"residency-deployment-sku", "production-baseline"}),
        ("dev", "eastus2", {"capability-fine-tuning-job"}),
    ],
)
def test_the_pack_in_its_clean_venv_gives_the_verdicts_of_the_pack_in_the_project(
    clean_pack, monkeypatch, stack, location, refused
):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    pack, python = clean_pack
    published = _verdicts(pack, str(python), [], stack, location)
    in_project = _verdicts(PACK, sys.executable, [ROOT], stack, location)
    assert published == in_project
    assert refused <= {d.policy for d in published if d.level == "mandatory"}
