"""`ftstack eval`: compare a fine-tuned deployment with its base on a holdout set, optionally as a gate."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ftstack.cli.errors import EXIT_FOUND_PROBLEMS, ensure_folder, fail, json_mode, print_json
from ftstack.cli.options import ApiVersionOption, TokenOption
from ftstack.cli.output import console as output_console  # one factory decides colour and width
from ftstack.data_plane import DEFAULT_API_VERSION
from ftstack.evaluation.holdout import HoldoutError, load_holdout
from ftstack.evaluation.metrics import (
    METRIC_NAMES,
    MetricSpec,
    metric_problems,
    reference_pattern_problems,
)
from ftstack.evaluation.results import EvaluationResult
from ftstack.evaluation.summary import usage_text, write_outputs

DEFAULT_METRICS = ["exact", "ngram_similarity"]
# The shell convention for a run stopped by Ctrl-C.
EXIT_INTERRUPTED = 130


def _resume_hint(out: Path) -> str:
    """Where the answers paid for so far are kept, when there are any."""
    from ftstack.evaluation.answer_cache import AnswerCache

    cached = len(AnswerCache(out))
    return f" ({cached} answers received so far are cached in {out}; rerun to resume)" if cached else ""


def _show(result: EvaluationResult, results_path: Path, summary_path: Path) -> None:
    console = output_console()
    base, candidate = result.usage["base"], result.usage["candidate"]
    table = Table(title=f"{candidate.deployment} vs {base.deployment}: {result.scored_examples} examples")
    for column in ("Metric", "Base [95% CI]", "Candidate [95% CI]", "Delta [95% CI]", "Win/tie/loss"):
        table.add_column(column)
    for m in result.metrics:
        table.add_row(
            f"{m.name}{' (primary)' if m.primary else ''}",
            f"{m.base.mean:.3f} [{m.base.low:.3f}, {m.base.high:.3f}]",
            f"{m.candidate.mean:.3f} [{m.candidate.low:.3f}, {m.candidate.high:.3f}]",
            f"{m.delta.mean:+.3f} [{m.delta.low:+.3f}, {m.delta.high:+.3f}]",
            f"{m.outcome.wins}/{m.outcome.ties}/{m.outcome.losses}",
        )
    console.print(table)
    for role, usage in (("base", base), ("candidate", candidate)):
        console.print(
            f"{role} {usage.deployment}: "
            f"{usage_text(usage.answers, usage.new_requests, usage.cached_answers, usage.repeated_answers)}; latency "
            f"mean {usage.latency_mean:.3f}s p95 {usage.latency_p95:.3f}s; tokens {usage.prompt_tokens} in, "
            f"{usage.completion_tokens} out"
        )
    if result.gate:
        colour = "green" if result.gate.passed else "red"
        verdict = "passed" if result.gate.passed else "failed"
        console.print(
            f"[{colour}]gate {verdict}[/{colour}]: {result.gate.metric} delta {result.gate.delta:+.3f} "
            f"(needs >= {result.gate.min_delta:+.3f})"
        )
    console.print(f"wrote {results_path} and {summary_path}")


def eval_command(
    endpoint: Annotated[
        str, typer.Option("--endpoint", help="Azure OpenAI endpoint, e.g. https://NAME.openai.azure.com.")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="Holdout chat JSONL: the last assistant turn is the reference.")
    ],
    base: Annotated[str, typer.Option("--base", help="Deployment of the base model.")],
    candidate: Annotated[str, typer.Option("--candidate", help="Deployment of the fine-tuned model.")],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric", help=f"Repeatable; the first is primary. One of: {', '.join(METRIC_NAMES)}."
        ),
    ] = None,
    gate: Annotated[
        float | None,
        typer.Option(
            "--gate", help="Exit 1 unless candidate minus base on the primary metric is at least this."
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.")] = 4,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the answer cache, results.json, summary.md.")
    ] = Path("evaluation"),
    as_json: Annotated[bool, typer.Option("--json", help="Print results.json on stdout.")] = False,
    pattern: Annotated[
        str | None, typer.Option("--pattern", help="Regex for --metric regex (else each reference).")
    ] = None,
    embedding_deployment: Annotated[
        str | None,
        typer.Option("--embedding-deployment", help="Embeddings deployment for embedding_similarity."),
    ] = None,
    token: TokenOption = None,
    api_version: ApiVersionOption = DEFAULT_API_VERSION,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Answer length limit per request.")] = 256,
    temperature: Annotated[float, typer.Option("--temperature", help="Sampling temperature.")] = 0.0,
) -> None:
    """Ask both deployments every holdout question, score the answers, compare them; resumable via --out."""
    json_mode(as_json)  # with --json, a refusal is the JSON error document on stdout too
    # Imported here: openai takes a while to load, and most commands do not need it.
    from ftstack.evaluation.answer_cache import AnswerCache
    from ftstack.evaluation.chat_client import ChatClient, Endpoint, RequestFailedError, RequestParams
    from ftstack.evaluation.engine import EvaluationPlan, evaluate

    names = metric or list(DEFAULT_METRICS)
    problems = metric_problems(names, pattern, embedding_deployment is not None)
    if len(set(names)) != len(names):
        problems.append(f"--metric: each metric once please (got {', '.join(names)})")
    if concurrency < 1:
        problems.append(f"--concurrency {concurrency}: must be 1 or more")
    if max_tokens < 1:
        problems.append(f"--max-tokens {max_tokens}: must be 1 or more")
    if not endpoint.startswith(("http://", "https://")):
        problems.append(f"--endpoint {endpoint}: expected a URL like https://NAME.openai.azure.com")
    try:
        examples = load_holdout(data)
    except HoldoutError as exc:
        problems.extend(exc.problems)
        examples = []
    if "regex" in names and pattern is None:
        problems.extend(
            f"{data}:{p}" for p in reference_pattern_problems([(e.line, e.reference) for e in examples])
        )
    if problems:
        fail(problems)
    ensure_folder(out)

    client = ChatClient(Endpoint(endpoint, token, api_version))
    try:
        spec = MetricSpec(
            names=tuple(names),
            pattern=re.compile(pattern) if pattern is not None else None,
            embedder=(lambda texts: client.embed(embedding_deployment, texts))
            if embedding_deployment
            else None,
        )
        plan = EvaluationPlan(
            examples=examples,
            base=base,
            candidate=candidate,
            metrics=spec,
            params=RequestParams(temperature=temperature, max_tokens=max_tokens),
            concurrency=concurrency,
            min_delta=gate,
            endpoint=endpoint,
            data=str(data),
        )
        cache = AnswerCache(out)
        damaged = cache.warning()
        if damaged:  # one line with the count; those questions are simply asked again
            sys.stderr.write(f"warning: {damaged}\n")
        stderr = output_console(stderr=True)
        # A bar only where someone watches: piped or captured stderr keeps just the error lines.
        progress = Progress(
            TextColumn("asking deployments"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr,
            disable=not stderr.is_terminal,
        )
        with progress:
            task = progress.add_task("answers", total=None)
            result = evaluate(
                plan,
                cache,
                client.complete,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
    except RequestFailedError as exc:
        fail(f"{exc}{_resume_hint(out)}")
    except KeyboardInterrupt:
        fail(f"interrupted{_resume_hint(out)}", code=EXIT_INTERRUPTED)
    finally:
        client.close()

    results_path, summary_path = write_outputs(result, out)
    if as_json:
        print_json(result.to_json())
        json_mode(False)  # stdout holds results.json, failures included: one JSON document, not two
    else:
        _show(result, results_path, summary_path)
    if result.failures:
        fail(
            [
                *result.failures,
                f"{len(result.failures)} request(s) failed after retries; rerun to send only those",
            ],
            code=EXIT_FOUND_PROBLEMS,
        )
    if result.gate is not None and not result.gate.passed:
        raise typer.Exit(EXIT_FOUND_PROBLEMS)
