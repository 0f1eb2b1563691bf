"""Which quota (usage name) a deployment of a fine-tuned model draws on.

What is confirmed: quotas are per subscription, region, model and deployment type, named
`OpenAI.<Sku>.<model>`. The Models API lists each base model's `skus[].usageName` (e.g.
`OpenAI.Standard.gpt-4o`, `OpenAI.GlobalStandard.gpt-4o`; ARM spec 2024-10-01 `ModelSku.usageName`, see
reference/azure-openai-fine-tuning-api.md section 3), `az cognitiveservices usage list` returns the same
names, and Microsoft's quota guide says quota is "assigned to your subscription on a per-region, per-model,
per-deployment-type basis" (learn.microsoft.com/azure/ai-foundry/openai/how-to/quota).

What is NOT confirmed: the usage name of a *fine-tuned* deployment. No Microsoft document or spec example
that we found names it. The deployment-type tables of MicrosoftDocs' fine-tuning-deploy.md (ms.date 02/24/2025,
articles/ai-services/openai/how-to/) call the models "GPT-4o-finetune", "GPT-4o-mini-finetune",
"GPT-35-Turbo-1106-finetune", which suggests a `-finetune` quota of their own; the only API figure
dedicated to fine-tuned deployments is `modelCapacities`' `availableFinetuneCapacity`. So the preflight
looks for a fine-tune quota first and falls back to the base model's quota, checks the fine-tune capacity
too, and says "not checked" when Azure lists neither quota name, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from ftstack.preflight.quota import Usage


def usage_name_candidates(sku: str, model: str) -> tuple[str, ...]:
    """The usage names a fine-tuned `model` deployment with `sku` may draw on, most specific first."""
    return (f"OpenAI.{sku}.{model}-finetune", f"OpenAI.{sku}.{model}")


def find_usage(usages: Sequence[Usage], sku: str, model: str) -> Usage | None:
    """The quota a fine-tuned deployment draws on, among `usages` (names compared without case)."""
    by_name = {u.name.casefold(): u for u in usages}
    for candidate in usage_name_candidates(sku, model):
        found = by_name.get(candidate.casefold())
        if found is not None:
            return found
    return None


def unit_word(sku: str) -> str:
    """How a capacity of `sku` is counted in messages: PTU for provisioned SKUs, else thousands of TPM."""
    return "PTU" if "provisioned" in sku.casefold() else "TPM-thousands"
