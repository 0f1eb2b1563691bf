"""`make demo`: the main job, end to end on this machine, no Azure needed.

The source document's steps: prepare the data, train, evaluate, deploy, use. A fast section first (the
matrix, every stack's config, what each stack declares under mocks, the policy check of a pull request,
the training data), then the real thing: `ftstack local up --stack dev` runs the real `pulumi up` with the
policy pack on the local Azure (the account, the fine-tuning jobs trained on its emulated data plane, the
deployments), the deployed model is evaluated against its base, and the deployment answers a chat
completion through the openai SDK. Each step is a function; `main()` runs them in order.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
console = Console()


def heading(title: str) -> None:
    """Print a step heading."""
    console.rule(f"[bold]{title}")


def ftstack(*args: str) -> int:
    """Run the real `ftstack` console script from this venv, as a user would; return its exit code."""
    exe = Path(sys.executable).with_name("ftstack")
    return subprocess.run([str(exe), *args], cwd=ROOT, check=False).returncode


def demo_matrix() -> None:
    """The capability matrix, and one refused request with its alternatives."""
    heading("Capability matrix")
    ftstack("matrix", "list")
    ftstack("matrix", "check", "--model", "gpt-4o-mini", "--region", "eastus2", "--training", "standard")


def demo_config() -> None:
    """Validate every stack's config against the schema and the matrix."""
    from ftstack.config import stack_names

    heading("Stack configuration")
    for stack in stack_names(ROOT):
        if ftstack("config", "validate", "--stack", stack) != 0:
            raise SystemExit(f"stack {stack} is invalid")


def demo_training_data() -> None:
    """Validate the example training and validation files for the dev model, and describe the training set."""
    heading("Training data: validate and describe, offline")
    data = ROOT / "examples" / "support-chat"
    for name in ("training.jsonl", "validation.jsonl"):
        if ftstack("data", "validate", str(data / name), "--model", "gpt-4o-mini") != 0:
            raise SystemExit(f"examples/support-chat/{name} is invalid")
    ftstack("data", "stats", str(data / "training.jsonl"), "--model", "gpt-4o-mini")


def demo_program() -> None:
    """Per stack, what `pulumi preview` would declare: the real program under mocks, as a resource tree."""
    from rich.table import Table

    from ftstack.config import stack_names
    from ftstack.preview import run_program
    from ftstack.preview.summary import key_properties, short_type

    heading("The Pulumi program under mocks: what each stack declares (preview)")
    wide = Console(width=max(console.width, 150))  # the tables need room for ARM-style names
    for stack in stack_names(ROOT):
        run = run_program(ROOT, stack, preview=True)
        urns = {r.urn: r for r in run.resources}
        table = Table(title=f"pulumi preview -s {stack}: {sum(r.custom for r in run.resources)} resources")
        table.add_column("type", no_wrap=True)
        table.add_column("name", no_wrap=True)
        table.add_column("key properties", overflow="fold")
        for resource in run.resources:
            depth, parent = 0, urns.get(resource.parent_urn)
            while parent is not None:
                depth, parent = depth + 1, urns.get(parent.parent_urn)
            properties = "\n".join(f"{k}={v}" for k, v in key_properties(resource).items())
            style = "" if resource.custom else "bold"
            table.add_row("  " * depth + short_type(resource.type), resource.name, properties, style=style)
        wide.print(table)


def demo_check() -> None:
    """Per stack, the policy check a pull request gets: `ftstack check` (program under mocks through the
    real policy analyzer), printed as the Markdown of the PR comment; every shipped stack is compliant."""
    from ftstack.config import stack_names

    heading("ftstack check: every stack through the policy pack (the pull-request comment)")
    for stack in stack_names(ROOT):
        if ftstack("check", "--stack", stack, "--format", "markdown") != 0:
            raise SystemExit(f"stack {stack} is not compliant")


def demo_local_up(stack: str = "dev") -> dict[str, Any]:
    """`ftstack local up`: the real `pulumi up` of the stack, with the policy pack, on the local Azure;
    returns the stack's outputs (plus the local account's endpoint and token)."""
    import json

    heading(f"pulumi up -s {stack} on the local Azure (the real CLI and engine, the policy pack attached)")
    exe = Path(sys.executable).with_name("ftstack")
    done = subprocess.run(
        [str(exe), "local", "up", "--stack", stack], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"ftstack local up --stack {stack} failed (exit {done.returncode})")
    outputs: dict[str, Any] = json.loads(done.stdout)
    console.print_json(data={k: v for k, v in outputs.items() if k != "token"})
    return outputs


def demo_deployed_evaluation(outputs: dict[str, Any], out_dir: Path) -> None:
    """Evaluate the deployment `pulumi up` created against a deployment of its base model on the same
    account (created the way `az cognitiveservices account deployment create` would), on the holdout."""
    import os

    from ftstack.config import load_environment
    from ftstack.data_plane import TOKEN_ENV

    heading("Evaluate: the deployed fine-tuned model against its base")
    _, env = load_environment("dev", ROOT)
    deployment = env.deployments[0]
    job = next(j for j in env.fine_tuning.jobs if j.name == deployment.model.job)
    base = job.base_model
    _deploy_base_model(outputs, base, str(job.version))
    os.environ[TOKEN_ENV] = str(outputs["token"])
    holdout = ROOT / "examples" / "support-chat" / "holdout.jsonl"
    evaluation = ftstack(
        "eval", "--endpoint", str(outputs["dataPlaneEndpoint"]), "--data", str(holdout), "--base", base,
        "--candidate", deployment.name, "--metric", "exact", "--metric", "ngram_similarity", "--gate", "0.2",
        "--out", str(out_dir / "evaluation"),
    )  # fmt: skip
    if evaluation != 0:
        raise SystemExit(f"the evaluation of {deployment.name} failed or did not pass its gate")
    console.print(f"summary: {out_dir / 'evaluation' / 'summary.md'}")


def _deploy_base_model(outputs: dict[str, Any], base: str, version: str) -> None:
    """A deployment of the base model on the stack's account, through the local Azure's ARM API (dev's
    residency allows GlobalStandard; the base model is a fixture of the evaluation, not of the stack)."""
    from ftstack.local import azure_process
    from ftstack.local.workspace import LocalWorkspace

    azure = azure_process.find(LocalWorkspace(ROOT).azure_home)
    if azure is None:
        raise SystemExit("the local Azure is not running")
    body = {
        "sku": {"name": "GlobalStandard", "capacity": 10},
        "properties": {"model": {"format": "OpenAI", "name": base, "version": version}},
    }
    with azure.client() as http:
        answer = http.put(f"/arm{outputs['accountId']}/deployments/{base}", json=body)
    if answer.status_code >= 400:
        raise SystemExit(f"could not deploy the base model {base}: {answer.text}")


def demo_use(outputs: dict[str, Any]) -> None:
    """Use: one chat completion to the deployment `pulumi up` created, with the openai SDK."""
    from openai import AzureOpenAI

    heading("Use: a chat completion from the deployment, with the openai SDK")
    deployment = str(outputs["deploymentNames"][0])
    client = AzureOpenAI(
        azure_endpoint=str(outputs["dataPlaneEndpoint"]),
        api_version="2025-04-01-preview",
        azure_ad_token=str(outputs["token"]),
    )
    question = "How do I reset my router?"  # a support question of the kind the model was trained on
    answer = client.chat.completions.create(
        model=deployment, messages=[{"role": "user", "content": question}]
    )
    console.print(
        f"[bold]{deployment}[/] was asked {question!r} and answered: {answer.choices[0].message.content!r}"
    )


def main() -> None:
    """The fast section, then the real `pulumi up` of dev on the local Azure, evaluation and use."""
    demo_matrix()
    demo_config()
    demo_program()
    demo_check()
    demo_training_data()
    out_dir = ROOT / "demo-output"
    outputs = demo_local_up("dev")
    demo_deployed_evaluation(outputs, out_dir)
    demo_use(outputs)
    heading("Done")
    console.print(
        f"Summaries are in {out_dir.relative_to(ROOT)}/. The stack stays up: `ftstack local outputs -s dev --json`, "
        "`ftstack local destroy -s dev`, `ftstack local stop`."
    )


if __name__ == "__main__":
    main()
