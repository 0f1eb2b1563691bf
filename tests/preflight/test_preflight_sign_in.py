"""Whether the runner is signed in to Azure, judged without a network call (the check reads quota only then)."""

from __future__ import annotations

from pathlib import Path

from ftstack.preflight.sign_in import sign_in_source


def test_an_environment_with_no_sign_in_has_none(tmp_path: Path) -> None:
    assert sign_in_source({}, home=tmp_path) is None
    assert sign_in_source({"AZURE_CLIENT_ID": "app", "AZURE_TENANT_ID": "tenant"}, home=tmp_path) is None


def test_a_service_principal_a_workload_identity_and_a_managed_identity_are_found(tmp_path: Path) -> None:
    principal = {"AZURE_CLIENT_ID": "app", "AZURE_TENANT_ID": "tenant"}
    assert sign_in_source(principal | {"AZURE_CLIENT_SECRET": "s"}, home=tmp_path) == "service principal"
    assert (
        sign_in_source(principal | {"AZURE_FEDERATED_TOKEN_FILE": "/t"}, home=tmp_path) == "workload identity"
    )
    assert sign_in_source({"IDENTITY_ENDPOINT": "http://169.254.1.1"}, home=tmp_path) == "managed identity"


def test_an_azure_cli_login_is_found_by_its_token_cache(tmp_path: Path) -> None:
    (tmp_path / ".azure").mkdir()
    assert sign_in_source({}, home=tmp_path) is None
    (tmp_path / ".azure" / "msal_token_cache.json").write_text("{}")
    assert sign_in_source({}, home=tmp_path) == "Azure CLI"
    elsewhere = tmp_path / "cli-config"
    assert sign_in_source({"AZURE_CONFIG_DIR": str(elsewhere)}, home=tmp_path) is None


def test_a_vm_identity_that_announces_nothing_can_be_declared(tmp_path: Path) -> None:
    assert sign_in_source({"FTSTACK_AZURE_SIGN_IN": "1"}, home=tmp_path) == "forced"
    assert sign_in_source({"FTSTACK_AZURE_SIGN_IN": "0"}, home=tmp_path) is None
