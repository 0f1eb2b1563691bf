"""Chat completions for evaluation: deterministic answers that tell base and fine-tuned models apart.
A fine-tuned model answers a prompt with the answer of the nearest training example (normalized exact
match, else the largest word overlap); a checkpoint does so with a probability that rises with its step;
a base model gives a generic answer. Same request, same answer."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ftstack.catalog import load_matrix
from ftstack.emulator import lifecycle
from ftstack.emulator.errors import ApiError
from ftstack.emulator.state import EmulatorState, JobRecord
from ftstack.emulator.token_estimate import estimate_tokens
from ftstack.emulator.training_files import Example, content_text, examples

# Below this word overlap (Jaccard) a fine-tuned model has no training example to draw on.
NEAREST_MIN_OVERLAP = 0.2
# The most choices one request may ask for (`n`), as the service allows.
MAX_CHOICES = 128
# The most completion tokens a request may ask for when the model's own limit is not known.
DEFAULT_MAX_OUTPUT_TOKENS = 32_768


@dataclass(frozen=True)
class Responder:
    """What answers for a deployment: the model id, and the job and skill when it is fine-tuned."""

    model: str
    job: JobRecord | None = None
    # Probability of answering from the training data (1 for a final model, rising for checkpoints).
    skill: float = 0.0


def resolve(state: EmulatorState, deployment: str, strict: bool = False) -> Responder:
    """The responder behind a deployment name (a registered deployment, or, unless `strict`, a model id
    used as one)."""
    if strict and deployment not in state.deployments:
        raise ApiError(
            404,
            "DeploymentNotFound",
            f"The API deployment '{deployment}' for this resource does not exist. If you created the "
            "deployment within the last 5 minutes, please wait a moment and try again.",
        )
    model = state.deployments.get(deployment, deployment)
    for row in load_matrix().rows:
        if model in (row.azure_base_model, row.model):
            return Responder(row.azure_base_model)
    for job in state.jobs.values():
        if job.status == "succeeded" and model == job.fine_tuned_model:
            return Responder(model, job, 1.0)
        for checkpoint in job.checkpoints:
            # Deployable by its `fine_tuned_model_checkpoint` name or by its `ftchkpt-` id (reference §2).
            # The final one, renamed to the final model on success, keeps answering to its step name.
            step_name = f"{job.fine_tuned_model_id}:ckpt-step-{checkpoint.step_number}"
            if model in (checkpoint.fine_tuned_model_checkpoint, checkpoint.id, step_name):
                total = lifecycle.run_of(job).total_steps
                return Responder(model, job, checkpoint.step_number / total)
    raise ApiError(
        404,
        "DeploymentNotFound",
        f"The API deployment '{deployment}' for this resource does not exist. Deploy a base model name or a "
        "fine-tuned model id, or register one with PUT /emulator/deployments/{name}.",
    )


def normalize(text: str) -> str:
    """Lowercase words without accents or punctuation, single-spaced."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", plain.lower()))


@lru_cache(maxsize=64)
def _training_examples(path: Path, mtime: float) -> tuple[tuple[Example, ...], tuple[frozenset[str], ...]]:
    found = tuple(examples(path))
    return found, tuple(frozenset(normalize(e.prompt).split()) for e in found)


def nearest_answer(path: Path, prompt: str) -> str | None:
    """The answer of the training example whose prompt matches `prompt` best, if one is close enough."""
    if not path.exists():
        return None
    found, word_sets = _training_examples(path, path.stat().st_mtime)
    key = normalize(prompt)
    for example in found:
        if normalize(example.prompt) == key:
            return example.answer
    words = frozenset(key.split())
    best, best_score = None, 0.0
    for example, candidate in zip(found, word_sets, strict=True):
        union = words | candidate
        score = len(words & candidate) / len(union) if union else 0.0
        if score > best_score:
            best, best_score = example, score
    return best.answer if best is not None and best_score >= NEAREST_MIN_OVERLAP else None


def generic_answer(prompt: str) -> str:
    """What a base model says: a generic, deterministic reply."""
    topic = " ".join(normalize(prompt).split()[:8]) or "your question"
    return (
        f"Thanks for asking about {topic}. In general, the answer depends on your situation; "
        "check the relevant documentation or ask a specialist for details."
    )


def _draw(model: str, prompt: str) -> float:
    digest = hashlib.sha256(f"{model}\n{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def answer(state: EmulatorState, responder: Responder, messages: list[dict[str, Any]]) -> str:
    """The reply of `responder` to a conversation."""
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    prompt = users[-1] if users else ""
    if responder.job is not None and _draw(responder.model, prompt) < responder.skill:
        learned = nearest_answer(state.blob_path(responder.job.training_file), prompt)
        if learned is not None:
            return learned
    return generic_answer(prompt)


def _whole_number(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    """`body[name]` when it is a whole number from `low` to `high`, None when absent; a 400 otherwise."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = repr(value)[:40]
        raise ApiError(
            400,
            "invalid_value",
            f"Invalid '{name}': {shown}; it must be a whole number from {low} to {high}.",
            name,
        )
    return value


def _max_output_tokens(responder: Responder) -> int:
    """The most completion tokens the responder's model may produce (its base model's output limit)."""
    base = responder.job.base_model if responder.job is not None else responder.model
    for row in load_matrix().rows:
        if row.azure_base_model == base and row.max_output_tokens:
            return row.max_output_tokens
    return DEFAULT_MAX_OUTPUT_TOKENS


def completion(
    state: EmulatorState,
    deployment: str,
    body: dict[str, Any],
    created: int,
    completion_id: str,
    strict: bool = False,
) -> dict[str, Any]:
    """A chat.completion object answering `body` with the deployment's model."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise ApiError(
            400, "invalid_request_error", "messages must be a non-empty list of message objects.", "messages"
        )
    if body.get("stream"):
        raise ApiError(
            400, "invalid_request_error", "The emulator does not stream; call without stream.", "stream"
        )
    n = _whole_number(body, "n", 1, MAX_CHOICES) or 1
    responder = resolve(state, deployment, strict)
    most = _max_output_tokens(responder)
    limit = _whole_number(body, "max_completion_tokens", 1, most) or _whole_number(
        body, "max_tokens", 1, most
    )
    reply = answer(state, responder, messages)
    finish = "stop"
    if limit is not None and estimate_tokens(reply) > limit:
        reply, finish = " ".join(reply.split()[:limit]), "length"
    prompt_tokens = 3 + sum(4 + estimate_tokens(content_text(m.get("content"))) for m in messages)
    completion_tokens = estimate_tokens(reply) * n
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": responder.model,
        "system_fingerprint": "fp_ftstack_emulator",
        "choices": [
            {
                "index": i,
                "finish_reason": finish,
                "logprobs": None,
                "message": {"role": "assistant", "content": reply, "refusal": None},
            }
            for i in range(n)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
