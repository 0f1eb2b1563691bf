"""ftstack's Python language host over gRPC, as the engine calls it (the real-engine tests run it for real)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def host() -> Iterator[language_pb2_grpc.LanguageRuntimeStub]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ftstack.local.language_host",
            "--executor",
            "/nonexistent-exec",
            "127.0.0.1:1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield language_pb2_grpc.LanguageRuntimeStub(channel)
    channel.close()
    process.terminate()
    process.wait(timeout=10)


def _info(root: Path, **options: str) -> language_pb2.ProgramInfo:
    struct = struct_pb2.Struct()
    struct.update(options)
    return language_pb2.ProgramInfo(
        root_directory=str(root), program_directory=str(root), entry_point=".", options=struct
    )


def test_the_host_reports_the_azure_native_plugin_the_venv_needs(host: language_pb2_grpc.LanguageRuntimeStub):
    answer = host.GetRequiredPackages(
        language_pb2.GetRequiredPackagesRequest(info=_info(ROOT, virtualenv=".venv"))
    )
    versions = {p.name: p.version for p in answer.packages}
    assert versions["azure-native"].startswith("3.")


def test_a_missing_virtualenv_is_one_clear_error_not_a_crash(
    host: language_pb2_grpc.LanguageRuntimeStub, tmp_path: Path
):
    answer = host.Run(
        language_pb2.RunRequest(info=_info(tmp_path, virtualenv="missing-venv"), pwd=str(tmp_path))
    )
    assert "missing-venv" in answer.error
    assert "does not exist" in answer.error


def test_the_host_answers_plugin_info(host: language_pb2_grpc.LanguageRuntimeStub):
    assert host.GetPluginInfo(empty_pb2.Empty()).version.startswith("3.")
