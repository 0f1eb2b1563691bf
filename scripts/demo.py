"""`make demo`: the main job, end to end on this machine (no Azure, no Pulumi CLI).

Each step is a function; `main()` runs them in order. Steps call the same functions the CLI does.
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


def demo_evaluation(base_url: str, job_id: str, out_dir: Path, token: str | None = None) -> None:
    """Evaluate the demo job's model against its base on the holdout set (gated), then draw its curves.
    Call it while the emulator that ran the job is still up; `token` is the one it was started with."""
    import os

    from ftstack.data_plane import TOKEN_ENV
    from ftstack.evaluation.chat_client import Endpoint
    from ftstack.fine_tuning.client import TOKEN_ENV as FINE_TUNING_TOKEN_ENV
    from ftstack.reporting.job_client import fetch_job_records

    heading("Evaluation: fine-tuned model against its base, and the training curves")
    # The emulator takes any bearer token unless started with one; the CLI reads it from FTSTACK_TOKEN.
    token = token or os.environ.get(TOKEN_ENV) or os.environ.get(FINE_TUNING_TOKEN_ENV) or "ftstack-demo"
    os.environ[TOKEN_ENV] = token
    job = fetch_job_records(Endpoint(base_url, token), job_id).job
    if not job.get("fine_tuned_model"):
        raise SystemExit(f"job {job_id} has no fine-tuned model (status {job.get('status')})")
    holdout = ROOT / "examples" / "support-chat" / "holdout.jsonl"
    evaluation = ftstack(
        "eval", "--endpoint", base_url, "--data", str(holdout), "--base", str(job["model"]),
        "--candidate", str(job["fine_tuned_model"]), "--metric", "exact", "--metric", "ngram_similarity",
        "--gate", "0.2", "--out", str(out_dir / "evaluation"),
    )  # fmt: skip
    if evaluation != 0:
        raise SystemExit(f"the evaluation of {job['fine_tuned_model']} failed or did not pass its gate")
    if ftstack("report", "--endpoint", base_url, "--job", job_id, "--out", str(out_dir / "report")) != 0:
        raise SystemExit(f"the training report of {job_id} could not be written")
    console.print(
        f"curves: {out_dir / 'report' / 'curves.png'}; summaries: {out_dir / 'evaluation' / 'summary.md'}, "
        f"{out_dir / 'report' / 'report.md'}"
    )


def demo_fine_tuning_job(base_url: str | None = None) -> str:
    """One job of the dev stack through the FineTuningJob provider's create, to succeeded, on the emulator at
    `base_url` (or on one started for this step in the dev account's region); prints its checkpoints and
    returns the job id."""
    import dataclasses
    import os
    from contextlib import nullcontext

    from rich.table import Table

    from ftstack.config import load_environment
    from ftstack.emulator.server import running_emulator
    from ftstack.fine_tuning.client import TOKEN_ENV

    sys.path.insert(0, str(ROOT))  # components/ is a project directory, not part of the installed package
    from components.fine_tuning_job import FineTuningJobArgs, FineTuningJobProvider, provider_inputs

    heading("Fine-tuning job (dev stack, through the provider, on the emulator)")
    _, env = load_environment("dev", ROOT)
    job = env.fine_tuning.jobs[0]
    region = env.account.region
    # The emulator takes any bearer token unless started with one; the provider reads its token from the
    # environment. Ten simulated minutes pass per second.
    os.environ.setdefault(TOKEN_ENV, "ftstack-demo")
    emulator = running_emulator(region=region, time_scale=600) if base_url is None else nullcontext(base_url)
    with emulator as url:
        args = FineTuningJobArgs.from_job_config(job, endpoint=url, region=region)
        args = dataclasses.replace(
            args,
            training_file=str(ROOT / args.training_file),
            validation_file=str(ROOT / args.validation_file) if args.validation_file else None,
        )
        provider = FineTuningJobProvider()
        checked = provider.check({}, provider_inputs(job.name, args))
        if checked.failures:
            raise SystemExit("; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        outs: dict[str, Any] = provider.create(checked.inputs).outs or {}
    console.print(
        f"job [bold]{outs['job_id']}[/] {outs['status']}: {outs['fine_tuned_model']} "
        f"({outs['trained_tokens']:,} trained tokens)"
    )
    table = Table(
        title=f"Checkpoints of {job.name}", caption="deploy a checkpoint as <fine-tuned model>:<checkpoint>"
    )
    table.add_column("checkpoint")
    for column in ("step", "train loss", "valid loss", "valid token accuracy"):
        table.add_column(column, justify="right")
    for checkpoint in outs["checkpoints"]:
        metrics = checkpoint["metrics"]
        table.add_row(
            checkpoint["fine_tuned_model_checkpoint"].rpartition(":")[2],
            str(checkpoint["step"]),
            f"{metrics.get('train_loss', float('nan')):.4f}",
            f"{metrics.get('valid_loss', float('nan')):.4f}",
            f"{metrics.get('valid_mean_token_accuracy', float('nan')):.3f}",
        )
    console.print(table)
    return str(outs["job_id"])


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


def demo_experiment(base_url: str, out_dir: Path) -> None:
    """The dev stack's learning-curve experiment: its 3 points through the provider on the emulator, then
    `ftstack experiment report` scores them on the holdout and draws the learning curve."""
    import dataclasses

    from ftstack.config import load_environment
    from ftstack.experiments.expansion import expand, job_on_subset
    from ftstack.experiments.subsets import count_examples

    sys.path.insert(0, str(ROOT))
    from components.fine_tuning_job import FineTuningJobArgs, FineTuningJobProvider, provider_inputs

    heading("Experiment: a learning curve on nested subsets of the data (dev stack)")
    ftstack("experiment", "plan", "--stack", "dev", "--experiment", "support-curve")
    _, env = load_environment("dev", ROOT)
    job = next(j for j in env.fine_tuning.jobs if j.experiment_name == "support-curve")
    provider = FineTuningJobProvider()
    for point in expand(job, count_examples(ROOT / job.training_file)):
        point_job = job_on_subset(point, ROOT)
        args = FineTuningJobArgs.from_job_config(point_job, endpoint=base_url, region=env.account.region)
        args = dataclasses.replace(
            args,
            training_file=str(ROOT / args.training_file),
            validation_file=str(ROOT / args.validation_file) if args.validation_file else None,
        )
        checked = provider.check({}, provider_inputs(point.name, args))
        if checked.failures:
            raise SystemExit("; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        outs = provider.create(checked.inputs).outs or {}
        console.print(f"{point.name}: {outs.get('status')} {outs.get('fine_tuned_model')}")
    holdout = ROOT / "examples" / "support-chat" / "holdout.jsonl"
    code = ftstack(
        "experiment", "report", "--stack", "dev", "--experiment", "support-curve", "--endpoint", base_url,
        "--data", str(holdout), "--out", str(out_dir / "experiment"),
    )  # fmt: skip
    if code != 0:
        raise SystemExit("the experiment report could not be written")


def main() -> None:
    """Run every demo step in order; the job, evaluation and experiment steps share one emulator."""
    import os

    from ftstack.config import load_environment
    from ftstack.emulator.server import running_emulator
    from ftstack.fine_tuning.client import TOKEN_ENV

    demo_matrix()
    demo_config()
    demo_program()
    demo_check()
    demo_training_data()
    out_dir = ROOT / "demo-output"
    _, env = load_environment("dev", ROOT)
    os.environ.setdefault(TOKEN_ENV, "ftstack-demo")
    with running_emulator(region=env.account.region, time_scale=600) as url:
        job_id = demo_fine_tuning_job(url)
        demo_evaluation(url, job_id, out_dir)
        demo_experiment(url, out_dir)
    heading("Done")
    console.print(f"Pictures and summaries are in {out_dir.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
