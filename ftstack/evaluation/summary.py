"""The evaluation's files: `results.json` (machine-readable) and `summary.md` (for a reviewer)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from ftstack.evaluation.results import EvaluationResult

RESULTS_FILE = "results.json"
SUMMARY_FILE = "summary.md"


def shown_path(path: str) -> str:
    """`path` as a report shows it: relative to the working folder when inside it, else its file name, so
    that no absolute path of this machine (home folder, user name) lands in a shared report."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return path
    try:
        return candidate.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return candidate.name


def shown_endpoint(endpoint: str) -> str:
    """The endpoint as a report shows it: scheme, host, port and path, without user info (a key or token
    written into the URL), query or fragment (`?api-key=`, a SAS signature)."""
    parts = urlsplit(endpoint)
    if not parts.hostname:
        return "(endpoint not shown)"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}".rstrip("/")


def usage_text(answers: int, sent: int, cached: int, repeated: int) -> str:
    """`24 answers: 24 requests sent, 0 from cache` (and `, 96 repeat an earlier prompt` when some do)."""
    text = f"{answers} answers: {sent} requests sent, {cached} from cache"
    return text + (f", {repeated} repeat an earlier prompt" if repeated else "")


def _ci(mean: float, low: float, high: float) -> str:
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def render_markdown(result: EvaluationResult) -> str:
    """The evaluation as Markdown: verdict, metric table with 95% intervals, usage, failures."""
    base, candidate = result.usage["base"], result.usage["candidate"]
    lines = [
        f"# Evaluation: `{candidate.deployment}` against `{base.deployment}`",
        "",
        f"Holdout `{shown_path(result.data)}`: {result.scored_examples} of {result.examples} examples scored"
        f" (endpoint `{shown_endpoint(result.endpoint)}`).",
        "",
    ]
    if result.gate:
        verdict = "PASSED" if result.gate.passed else "FAILED"
        lines += [
            f"**Gate {verdict}**: on `{result.gate.metric}` the candidate's mean minus the base's is "
            f"{result.gate.delta:+.3f}; the gate asks for at least {result.gate.min_delta:+.3f}.",
            "",
        ]
    lines += [
        "| Metric | Base (95% CI) | Candidate (95% CI) | Delta (95% CI) | Win / tie / loss |",
        "|---|---|---|---|---|",
    ]
    for m in result.metrics:
        name = f"**{m.name}** (primary)" if m.primary else m.name
        lines.append(
            f"| {name} | {_ci(m.base.mean, m.base.low, m.base.high)} | "
            f"{_ci(m.candidate.mean, m.candidate.low, m.candidate.high)} | "
            f"{m.delta.mean:+.3f} [{m.delta.low:+.3f}, {m.delta.high:+.3f}] | "
            f"{m.outcome.wins} / {m.outcome.ties} / {m.outcome.losses} |"
        )
    lines += [
        "",
        "Pass rates use Wilson intervals; graded scores and deltas use a seeded bootstrap over examples.",
        "",
        "| Deployment | Answers | Latency mean / p50 / p95 (s) | Prompt / completion tokens |",
        "|---|---|---|---|",
    ]
    for role, usage in (("base", base), ("candidate", candidate)):
        lines.append(
            f"| {role}: `{usage.deployment}` | "
            f"{usage_text(usage.answers, usage.new_requests, usage.cached_answers, usage.repeated_answers)} | "
            f"{usage.latency_mean:.3f} / {usage.latency_p50:.3f} / {usage.latency_p95:.3f} | "
            f"{usage.prompt_tokens} / {usage.completion_tokens} |"
        )
    if result.failures:
        lines += ["", "## Requests that failed (rerun to retry only these)", ""]
        lines += [f"- {failure}" for failure in result.failures]
    return "\n".join(lines) + "\n"


def write_outputs(result: EvaluationResult, folder: Path) -> tuple[Path, Path]:
    """Write results.json and summary.md into `folder`; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    results_path = folder / RESULTS_FILE
    summary_path = folder / SUMMARY_FILE
    results_path.write_text(
        json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    summary_path.write_text(render_markdown(result), encoding="utf-8")
    return results_path, summary_path
