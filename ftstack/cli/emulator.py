"""`ftstack emulator`: run the local Azure OpenAI fine-tuning emulator until interrupted.

It always has a token: `--token`, `FTSTACK_EMULATOR_TOKEN`, `--token-file`, or a random one printed once
(stderr) and written to a 0600 file. stdout carries only the URL, as before."""

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
from ftstack.emulator.token_source import (
    TOKEN_ENV,
    EmulatorToken,
    TokenSourceError,
    remove_temporary,
    resolve_token,
)

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
        typer.Option(
            help=f"Accept only this api-key or bearer token (shows in `ps`: prefer ${TOKEN_ENV} or "
            "--token-file). Default: a random token, printed once and written to a 0600 file."
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="Read the token from this file's first line; without one, write a random token there (0600).",
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Also answer requests whose Host header names this host (repeatable; e.g. a container name).",
        ),
    ] = None,
    allow_import_from: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-import-from",
            help="Let POST /files/import download from this host, http(s) only (repeatable; default: off).",
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="Keep state in this directory (a SQLite database in WAL mode, file blobs, a generated token).",
        ),
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
    if not time_scale > 0:
        problems.append(f"--time-scale must be greater than 0, not {time_scale:g}")
    settings: EmulatorSettings | None = None
    resolved: EmulatorToken | None = None
    if not problems:
        try:
            resolved = resolve_token(token, token_file, state_dir)
            settings = EmulatorSettings(
                region=region,
                time_scale=time_scale,
                token=resolved.value,
                faults=rules,
                state_dir=state_dir,
                listen_host=host,
                allowed_hosts=allow_host or [],
                import_hosts=allow_import_from or [],
            )
        except TokenSourceError as exc:
            problems.append(str(exc))
        except (ValidationError, CatalogError) as exc:
            problems.extend(_messages(exc))
    if problems or settings is None or resolved is None:
        fail(problems)
    if not is_loopback(host):
        sys.stderr.write(
            f"warning: listening on {host}, reachable from other machines: anyone who can reach it and holds "
            "the token can read the training files uploaded to it and drive its admin routes (faults, clock, "
            "deployments); the emulator is meant for the loopback (--host 127.0.0.1)\n"
        )
    token_in_use = resolved

    def ready(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"Azure OpenAI fine-tuning emulator on {url} (region {settings.region}, time scale {time_scale:g}x); "
            "use it as azure_endpoint, or base_url "
            f"{url}/openai/v1. Ctrl-C stops it.\n"
        )
        if token_in_use.generated:
            sys.stderr.write(
                f"token: {token_in_use.value} (send it as api-key or bearer; also in {token_in_use.file}, "
                "readable only by you)\n"
            )
        elif token_in_use.file is not None:
            sys.stderr.write(f"token: from {token_in_use.file}\n")
        sys.stderr.flush()

    from ftstack.emulator.server import serve  # the web framework loads only for this command

    try:
        serve(settings, host, port, ready)
    except RuntimeError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}; choose another --port (0 picks a free one)")
    except (OSError, ValueError) as exc:
        fail(f"--state-dir {state_dir}: cannot keep the emulator's state there: {exc}")
    except (TypeError, KeyError, AttributeError) as exc:
        # A state of the wrong shape (a list, null or a string where records belong) from the store.
        fail(f"--state-dir {state_dir}: the saved state has the wrong shape for this version: {exc}")
    finally:
        remove_temporary(resolved)


def _messages(exc: ValidationError | CatalogError) -> list[str]:
    if isinstance(exc, ValidationError):
        return [
            f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
    return [f"--region: {exc}"]
