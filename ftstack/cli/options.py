"""Options shared by the commands that call an Azure OpenAI data plane, spelled once."""

from __future__ import annotations

from typing import Annotated

import typer

from ftstack.data_plane import DEFAULT_API_VERSION, TOKEN_ENV

__all__ = ["DEFAULT_API_VERSION", "TOKEN_ENV", "ApiVersionOption", "TokenOption"]

TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token", envvar=TOKEN_ENV, help="Static bearer token (default: Entra ID).", show_default=False
    ),
]
ApiVersionOption = Annotated[str, typer.Option("--api-version", help="Data-plane API version.")]
