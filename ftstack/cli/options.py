"""Options shared by the commands that call an Azure OpenAI data plane, spelled once."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ftstack.data_plane import DEFAULT_API_VERSION, DEPRECATED_TOKEN_ENV, TOKEN_ENV

__all__ = ["DEFAULT_API_VERSION", "TOKEN_ENV", "ApiVersionOption", "JsonOption", "TokenOption"]


def _token_from_alias(value: str | None) -> str | None:
    """Warn (once, on stderr) when the token came from the deprecated variable."""
    if value and not os.environ.get(TOKEN_ENV) and os.environ.get(DEPRECATED_TOKEN_ENV) == value:
        sys.stderr.write(f"warning: {DEPRECATED_TOKEN_ENV} is deprecated; set {TOKEN_ENV} instead\n")
    return value


TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=[TOKEN_ENV, DEPRECATED_TOKEN_ENV],
        metavar="TOKEN",
        help=f"Static bearer token (default: Entra ID); also ${TOKEN_ENV}.",
        show_default=False,
        show_envvar=False,
        callback=_token_from_alias,
    ),
]
ApiVersionOption = Annotated[
    str,
    typer.Option(
        "--api-version", metavar="VERSION", help="Data-plane API version (v1: the /openai/v1 surface)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout (errors too).")]
