"""Where an Entra ID token may be sent: only to an https endpoint. An endpoint override
(`FTSTACK_FINE_TUNING_ENDPOINT`, `ftstack eval --endpoint`) pointing at `http://` would otherwise carry
the user's real Azure token in clear text, to whatever listens there (the emulator included). Over plain
http only a static token (`FTSTACK_TOKEN`, `--token`: the emulator's or the local Azure's) is sent."""

from __future__ import annotations

from urllib.parse import urlsplit

from ftstack.data_plane import TOKEN_ENV


class InsecureEndpointError(ValueError):
    """An Entra ID token would have gone to an endpoint that is not https."""


def require_https_for_entra(endpoint: str) -> None:
    """Return when an Entra ID token may go to `endpoint`; InsecureEndpointError (one line saying what
    would work) when the endpoint is not https."""
    scheme = urlsplit(endpoint.strip()).scheme.lower()
    if scheme != "https":
        shown = endpoint.strip()[:120]
        raise InsecureEndpointError(
            f"refusing to send an Entra ID token to {shown}: it is not https; use the account's https "
            f"endpoint, or for the emulator or the local Azure pass its token (--token or {TOKEN_ENV})"
        )
