"""An Entra ID token goes only to https endpoints: an `http://` override gets one clear refusal that says
to pass the emulator's or the local Azure's static token instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftstack.cli.app import run
from ftstack.credential_transport import InsecureEndpointError, require_https_for_entra
from ftstack.data_plane import TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]


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


def test_eval_against_an_http_endpoint_without_a_static_token_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    holdout = ROOT / "examples" / "support-chat" / "holdout.jsonl"
    code = run(
        [
            "eval", "--endpoint", "http://127.0.0.1:9", "--data", str(holdout), "--base", "gpt-4.1-mini",
            "--candidate", "support-bot-dev", "--metric", "exact", "--out", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "not https" in err and "Traceback" not in err


def test_the_fine_tuning_provider_refuses_an_entra_token_for_an_http_account_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ftstack.fine_tuning.client import ENDPOINT_ENV, open_client

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv("FTSTACK_FINE_TUNING_TOKEN", raising=False)
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    with pytest.raises(InsecureEndpointError, match="not https"), open_client("http://10.0.0.5"):
        pass
