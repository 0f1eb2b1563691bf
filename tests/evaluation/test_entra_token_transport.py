"""An Entra ID token goes only to https endpoints: an `http://` override gets one clear refusal that says
to pass the emulator's or the local Azure's static token instead."""

from __future__ import annotations

import pytest

from ftstack.credential_transport import InsecureEndpointError, require_https_for_entra


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8765",
        "HTTP://my-account.openai.azure.com/",
        "my-account.openai.azure.com",
        " ftp://x",
    ],
)
def test_an_entra_token_is_refused_for_an_endpoint_that_is_not_https(endpoint: str) -> None:
    with pytest.raises(InsecureEndpointError) as refused:
        require_https_for_entra(endpoint)

    message = str(refused.value)
    assert "not https" in message and "FTSTACK_TOKEN" in message and "\n" not in message


def test_an_https_endpoint_may_receive_an_entra_token() -> None:
    require_https_for_entra("https://my-account.openai.azure.com/")
    require_https_for_entra("HTTPS://my-account.openai.azure.com/openai/v1")
