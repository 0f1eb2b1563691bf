"""How many epochs `auto` picks and what training is billed for: the default-epochs heuristic of
OpenAI's fine-tuning data-prep cookbook (rules.yaml `defaultEpochs`); Azure does not publish its own."""

from __future__ import annotations

from ftstack.training_data.rules import load_rules


def auto_epochs(n_examples: int) -> int:
    """The epochs `auto` picks for `n_examples`: 3, raised so that examples x epochs reaches 100 or
    lowered so it stays under 25,000, within 1..25 (the cookbook's heuristic)."""
    rules = load_rules()
    if n_examples <= 0:
        return rules.epochs_target
    if n_examples * rules.epochs_target < rules.epochs_min_target_examples:
        return min(rules.epochs_max, rules.epochs_min_target_examples // n_examples)
    if n_examples * rules.epochs_target > rules.epochs_max_target_examples:
        return max(rules.epochs_min, rules.epochs_max_target_examples // n_examples)
    return rules.epochs_target


def explain_auto_epochs(n_examples: int) -> str:
    """One sentence saying which epochs `auto` picks for `n_examples` and why."""
    rules = load_rules()
    epochs = auto_epochs(n_examples)
    if n_examples > 0 and n_examples * rules.epochs_target < rules.epochs_min_target_examples:
        why = (
            f"{n_examples} examples x {rules.epochs_target} epochs is under "
            f"{rules.epochs_min_target_examples:,} training steps, so epochs are raised "
            f"(at most {rules.epochs_max})"
        )
    elif n_examples * rules.epochs_target > rules.epochs_max_target_examples:
        why = (
            f"{n_examples:,} examples x {rules.epochs_target} epochs is over "
            f"{rules.epochs_max_target_examples:,} training steps, so epochs are lowered "
            f"(at least {rules.epochs_min})"
        )
    else:
        why = (
            f"{n_examples:,} examples x {rules.epochs_target} epochs stays within "
            f"{rules.epochs_min_target_examples:,}..{rules.epochs_max_target_examples:,} training steps"
        )
    return f"auto picks {epochs} epoch{'s' if epochs != 1 else ''}: {why} ({rules.epochs_source})"


def billed_tokens(example_tokens: int, epochs: int) -> int:
    """Tokens training is billed for: the tokens of the file (each example capped at the model's
    limit) times the epochs."""
    return example_tokens * epochs
