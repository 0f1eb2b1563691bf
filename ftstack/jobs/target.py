"""Which account's jobs a command means: an endpoint, a stack's account on Azure, or a stack's account on
the local Azure (`ftstack local up`), with the credentials to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftstack.config.schema import EnvironmentConfig
from ftstack.data_plane import DEFAULT_API_VERSION, account_endpoint, account_subdomain
from ftstack.evaluation.chat_client import Endpoint


class TargetError(ValueError):
    """The account cannot be found or reached as asked; one line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class JobsTarget:
    """An account's data plane and what to call it in messages."""

    endpoint: Endpoint
    label: str


def _environment(project_dir: Path, stack: str) -> EnvironmentConfig:
    from ftstack.config import ConfigError, StackFileError, load_environment

    try:
        return load_environment(stack, project_dir)[1]
    except StackFileError as exc:
        raise TargetError([str(exc)]) from None
    except ConfigError as exc:
        raise TargetError(exc.lines()) from None


def stack_target(
    project_dir: Path, stack: str, token: str | None, api_version: str = DEFAULT_API_VERSION
) -> JobsTarget:
    """The account the stack declares, on Azure (Entra ID unless a token is given)."""
    env = _environment(project_dir, stack)
    url = account_endpoint(env.account)
    return JobsTarget(Endpoint(url, token, api_version), f"stack {stack}'s account {url}")


def local_target(project_dir: Path, stack: str, api_version: str = DEFAULT_API_VERSION) -> JobsTarget:
    """The stack's account on the running local Azure, with the local Azure's token."""
    from ftstack.local import azure_process
    from ftstack.local.workspace import LocalWorkspace

    env = _environment(project_dir, stack)
    azure = azure_process.find(LocalWorkspace(project_dir).azure_home)
    if azure is None:
        raise TargetError(
            [f"the local Azure is not running; start it with `ftstack local up --stack {stack}`"]
        )
    subdomain = account_subdomain(env.account)
    with azure.client(timeout=10.0) as http:
        answer = http.get("/local/inventory")
    accounts = answer.json().get("accounts", {}) if answer.status_code == 200 else {}
    if subdomain not in accounts:
        raise TargetError(
            [
                f"stack {stack}'s account {subdomain} does not exist on the local Azure yet; "
                f"create it with `ftstack local up --stack {stack}`"
            ]
        )
    url = f"{azure.url}/accounts/{subdomain}/"
    return JobsTarget(Endpoint(url, azure.token, api_version), f"stack {stack}'s account on the local Azure")
