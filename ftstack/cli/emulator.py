"""`ftstack emulator`: run the local Azure OpenAI fine-tuning emulator until interrupted."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ftstack.catalog import CatalogError
from ftstack.cli.errors import fail
from ftstack.emulator.faults import FAULT_SPEC_HELP, FaultRule, parse_fault_spec
from ftstack.emulator.settings import DEFAULT_REGION, EmulatorSettings

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def emulator(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to listen on (0: any free port).", min=0, max=65535)
    ] = DEFAULT_PORT,
    region: Annotated[
        str, typer.Option(help="The emulated resource's region (decides what it can train).")
    ] = (DEFAULT_REGION),
    time_scale: Annotated[
        float,
        typer.Option("--time-scale", help="Simulated seconds per real second (600: ten minutes per second)."),
    ] = 1.0,
    token: Annotated[
        str | None,
        typer.Option(help="Accept only this api-key or bearer token (default: any non-empty one)."),
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="Keep state in this directory (JSON and file blobs).")
    ] = None,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help=f"Inject a fault (repeatable): {FAULT_SPEC_HELP}.")
    ] = None,
) -> None:
    """Run the local Azure OpenAI fine-tuning emulator; prints the URL it listens on."""
    problems: list[str] = []
    rules: list[FaultRule] = []
    for spec in fault or []:
        try:
            rules.append(parse_fault_spec(spec))
        except ValueError as exc:
            problems.append(f"--fault: {exc}")
    if time_scale <= 0:
        problems.append(f"--time-scale must be greater than 0, not {time_scale:g}")
    settings: EmulatorSettings | None = None
    if not problems:
        try:
            settings = EmulatorSettings(
                region=region, time_scale=time_scale, token=token, faults=rules, state_dir=state_dir
            )
        except (ValidationError, CatalogError) as exc:
            problems.extend(_messages(exc))
    if problems or settings is None:
        fail(problems)
    if not is_loopback(host):
        sys.stderr.write(
            f"warning: listening on {host}, reachable from other machines; the emulator is meant for the "
            "loopback (--host 127.0.0.1)" + ("" if token else " and accepts any token without --token") + "\n"
        )

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"Azure OpenAI fine-tuning emulator on {url} (region {settings.region}, time scale {time_scale:g}x); "
            "use it as azure_endpoint, or base_url "
            f"{url}/openai/v1. Ctrl-C stops it.\n"
        )

    from ftstack.emulator.server import serve  # the web framework loads only for this command

    try:
        serve(settings, host, port, ready)
    except RuntimeError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}; choose another --port (0 picks a free one)")
    except (OSError, ValueError) as exc:
        fail(f"--state-dir {state_dir}: cannot keep the emulator's state there: {exc}")


def _messages(exc: ValidationError | CatalogError) -> list[str]:
    if isinstance(exc, ValidationError):
        return [
            f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
    return [f"--region: {exc}"]
