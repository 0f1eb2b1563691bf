"""How a FineTuningJob registers with the engine: its type token, content-addressed inputs and the
provider reference the `python -m pulumi.dynamic` process unpickles."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dill
import pulumi

from components.fine_tuning_job import FineTuningJob, FineTuningJobArgs, FineTuningJobProvider
from ftstack.fine_tuning.inputs import file_sha256

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "support-chat"


class Recorder(pulumi.runtime.Mocks):
    """Records every registered resource and echoes its inputs as outputs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", {**args.inputs, "status": "succeeded"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def register() -> pulumi.runtime.MockResourceArgs:
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="ftstack", stack="dev", preview=False)

    @pulumi.runtime.test
    def build() -> pulumi.Output[str]:
        job = FineTuningJob(
            "support-bot",
            FineTuningJobArgs(
                endpoint="https://ftstack-dev.openai.azure.com",
                base_model="gpt-4.1-mini",
                model_version="2025-04-14",
                training_type="global",
                training_file=str(EXAMPLES / "training.jsonl"),
                validation_file=str(EXAMPLES / "validation.jsonl"),
                hyperparameters={"n_epochs": 3},
                seed=42,
            ),
        )
        return job.status

    build()
    (registered,) = recorder.resources
    return registered


def test_the_job_registers_with_its_own_type_token_and_the_sha256_of_its_data() -> None:
    registered = register()
    assert registered.typ == "pulumi-python:dynamic/ftstack:FineTuningJob"
    assert registered.inputs["training_file_sha256"] == file_sha256(EXAMPLES / "training.jsonl")
    assert registered.inputs["validation_file_sha256"] == file_sha256(EXAMPLES / "validation.jsonl")
    assert registered.inputs["resource_name"] == "support-bot"


def test_the_provider_is_pickled_by_reference_with_no_captured_state() -> None:
    registered = register()
    pickled = base64.b64decode(registered.inputs["__provider"])
    # By reference: the module path and class name, not the code (which would tie state to this Python).
    assert b"components.fine_tuning_job" in pickled
    assert len(pickled) < 200
    assert type(dill.loads(pickled)) is FineTuningJobProvider
