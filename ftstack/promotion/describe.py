"""Say, before anything runs, which model each deployment will serve and why (for the check report)."""

from __future__ import annotations

from pathlib import Path

from ftstack.config.schema import DeploymentConfig, EnvironmentConfig, StepSelect
from ftstack.promotion.experiment import read_scores
from ftstack.promotion.select import DEPLOYABLE_NOTE, PromotionError


def describe_selection(env: EnvironmentConfig, deployment: DeploymentConfig, project_dir: Path) -> str:
    """One sentence: the model a deployment serves and the rule that picks it."""
    ref = deployment.model
    if ref.fine_tuned_model is not None:
        return f"`{ref.fine_tuned_model}`, the model id given in the stack config"
    if ref.job is not None:
        if ref.select == "final":
            return f"job `{ref.job}`'s final model, once the job succeeds"
        if isinstance(ref.select, StepSelect):
            return f"job `{ref.job}`'s checkpoint at step {ref.select.step} ({DEPLOYABLE_NOTE})"
        return (
            f"job `{ref.job}`'s checkpoint with the lowest validation loss, chosen when the job succeeds "
            f"({DEPLOYABLE_NOTE})"
        )
    job = next(j for j in env.fine_tuning.jobs if j.experiment_name == ref.experiment)
    if ref.select == "best_validation_loss":
        return (
            f"the final model of experiment `{ref.experiment}`'s point with the lowest final validation loss, "
            f"chosen when its points succeed (job `{job.name}` expanded into one job per point)"
        )
    try:
        scores = read_scores(project_dir / str(ref.scores_file))
    except PromotionError as exc:
        return f"experiment `{ref.experiment}`'s best-scoring point: {exc}"
    if not scores:
        return f"experiment `{ref.experiment}`'s best-scoring point: {ref.scores_file} has no scores yet"
    best = max(scores, key=lambda name: scores[name])
    return (
        f"the final model of point `{best}` of experiment `{ref.experiment}`: highest holdout score "
        f"{scores[best]:.3f} of {len(scores)} in {ref.scores_file}"
    )
