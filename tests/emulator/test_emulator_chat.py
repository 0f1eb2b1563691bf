"""Chat completions for evaluation: a fine-tuned model answers from its training data, a checkpoint does
so more often the later it is, a base model answers generically, the same way every time; counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from emulator_harness import (
    KEY,
    TOPICS,
    admin,
    azure_client,
    chat_example,
    finished_job,
    processed_file,
    write_jsonl,
)


def _ask(client: openai.AzureOpenAI, deployment: str, prompt: str) -> Any:
    return client.chat.completions.create(model=deployment, messages=[{"role": "user", "content": prompt}])


def _trained(url: str, path: Path, **hyperparameters: Any) -> Any:
    client = azure_client(url)
    uploaded = processed_file(client, path)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=uploaded.id, hyperparameters=hyperparameters or None
    )  # type: ignore[arg-type]
    return finished_job(client, job.id)


def test_a_fine_tuned_model_answers_from_its_training_data_and_the_base_does_not(
    fast_emulator: str, training_file: Path
) -> None:
    client = azure_client(fast_emulator)
    job = _trained(fast_emulator, training_file)

    exact = _ask(client, job.fine_tuned_model, "how do i reset my router?")
    near = _ask(client, job.fine_tuned_model, "How can I reset the router?!")
    base = _ask(client, "gpt-4o-mini", "how do i reset my router?")

    expected = dict(TOPICS)["reset my router"]
    assert exact.choices[0].message.content == expected
    assert near.choices[0].message.content == expected
    assert (
        base.choices[0].message.content != expected and "reset my router" in base.choices[0].message.content
    )
    assert exact.usage.prompt_tokens > 0 and exact.usage.completion_tokens > 0
    assert exact.usage.total_tokens == exact.usage.prompt_tokens + exact.usage.completion_tokens


def test_answers_are_deterministic(fast_emulator: str, training_file: Path) -> None:
    client = azure_client(fast_emulator)
    job = _trained(fast_emulator, training_file)
    checkpoint = list(client.fine_tuning.jobs.checkpoints.list(job.id))[-1].fine_tuned_model_checkpoint

    prompts = [f"how would i {topic} today" for topic, _ in TOPICS]
    first = [_ask(client, checkpoint, p).choices[0].message.content for p in prompts]
    second = [_ask(client, checkpoint, p).choices[0].message.content for p in prompts]

    assert first == second


def test_later_checkpoints_answer_a_holdout_better_than_earlier_ones(
    fast_emulator: str, tmp_path: Path
) -> None:
    # 30 distinct topics, each a question seen in training; the holdout asks them in other words.
    pairs = [
        (f"what is the setting number {i} for the modem", f"Setting {i} lives under Advanced > Slot {i}.")
        for i in range(60)
    ]
    path = write_jsonl(tmp_path / "many.jsonl", [chat_example(q, a) for q, a in pairs])
    client = azure_client(fast_emulator)
    job = _trained(fast_emulator, path, n_epochs=4)
    checkpoints = sorted(client.fine_tuning.jobs.checkpoints.list(job.id), key=lambda c: c.step_number)

    def score(deployment: str) -> int:
        return sum(
            _ask(client, deployment, f"tell me the modem setting number {i}").choices[0].message.content == a
            for i, (_, a) in enumerate(pairs)
        )

    scores = [score(c.fine_tuned_model_checkpoint) for c in checkpoints] + [score(job.fine_tuned_model)]
    assert scores[0] < scores[-2] <= scores[-1] == len(pairs)
    assert score("gpt-4o-mini-2024-07-18") == 0


def test_a_registered_deployment_answers_with_its_model_on_both_surfaces(
    fast_emulator: str, training_file: Path
) -> None:
    job = _trained(fast_emulator, training_file)
    admin(fast_emulator, "PUT", "/emulator/deployments/support-bot", {"model": job.fine_tuned_model})

    azure = _ask(azure_client(fast_emulator), "support-bot", "how do i pay my bill?")
    v1 = openai.OpenAI(base_url=f"{fast_emulator}/openai/v1", api_key=KEY).chat.completions.create(
        model="support-bot", messages=[{"role": "user", "content": "how do i pay my bill?"}]
    )

    expected = dict(TOPICS)["pay my bill"]
    assert azure.choices[0].message.content == v1.choices[0].message.content == expected
    assert azure.model == job.fine_tuned_model


def test_an_unknown_deployment_is_a_404(fast_emulator: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        _ask(azure_client(fast_emulator), "nobody", "hello")

    assert caught.value.code == "DeploymentNotFound"


def test_registering_a_deployment_of_an_unknown_model_is_refused(fast_emulator: str) -> None:
    answer = httpx.put(
        f"{fast_emulator}/emulator/deployments/x", json={"model": "gpt-9"}, headers={"api-key": KEY}
    )

    assert answer.status_code == 400 and "gpt-9" in answer.json()["error"]["message"]


def test_stats_count_chat_requests_per_deployment_and_reset(fast_emulator: str, tmp_path: Path) -> None:
    client = azure_client(fast_emulator)
    for prompt in ("a", "b", "c"):
        _ask(client, "gpt-4o-mini", prompt)
    admin(fast_emulator, "PUT", "/emulator/deployments/base", {"model": "gpt-4.1-2025-04-14"})
    _ask(client, "base", "d")

    stats = admin(fast_emulator, "GET", "/emulator/stats")
    admin(fast_emulator, "DELETE", "/emulator/stats")

    assert stats["chat_completions"] == 4
    assert stats["chat_completions_by_deployment"] == {"base": 1, "gpt-4o-mini": 3}
    assert stats["routes"]["POST /openai/deployments/{deployment}/chat/completions"] == 4
    assert admin(fast_emulator, "GET", "/emulator/stats")["total"] == 0


def test_the_training_examples_of_a_dpo_file_answer_with_the_preferred_output(
    fast_emulator: str, tmp_path: Path
) -> None:
    lines = [
        {
            "input": {"messages": [{"role": "user", "content": f"question {i} about plans"}]},
            "preferred_output": [{"role": "assistant", "content": f"good answer {i}"}],
            "non_preferred_output": [{"role": "assistant", "content": f"bad answer {i}"}],
        }
        for i in range(12)
    ]
    client = azure_client(fast_emulator)
    uploaded = processed_file(client, write_jsonl(tmp_path / "dpo.jsonl", lines))
    job = client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14", training_file=uploaded.id, method={"type": "dpo"}
    )
    done = finished_job(client, job.id)

    assert done.status == "succeeded", done.error
    assert (
        _ask(client, done.fine_tuned_model, "question 7 about plans").choices[0].message.content
        == "good answer 7"
    )
