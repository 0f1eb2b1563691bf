"""The simulated loss responds the way experiments expect: more data lowers validation loss, many
epochs on tiny data overfit, the learning rate has a sweet spot, larger batches are smoother, and the
same inputs always give the same curve."""

from __future__ import annotations

import itertools
import statistics

from ftstack.emulator.training_curve import TrainingRun, metrics_at, results_csv


def _final(run: TrainingRun) -> float:
    return metrics_at(run, run.total_steps).full_valid_loss


def _per_epoch(run: TrainingRun, key: str) -> list[float]:
    return [getattr(metrics_at(run, e * run.steps_per_epoch), key) for e in range(1, run.n_epochs + 1)]


def test_more_training_data_lowers_the_validation_loss() -> None:
    losses = [_final(TrainingRun(n, 3, 1, 1.0, seed=7)) for n in (20, 200, 2000)]

    assert losses[0] > losses[1] > losses[2]


def test_many_epochs_on_tiny_data_overfit() -> None:
    run = TrainingRun(examples=12, n_epochs=12, batch_size=1, learning_rate_multiplier=1.0, seed=3)
    valid, train = _per_epoch(run, "full_valid_loss"), _per_epoch(run, "train_loss")

    assert valid[-1] > min(valid) + 0.5
    assert train[-1] < train[0] / 4


def test_moderate_data_does_not_overfit_in_three_epochs() -> None:
    valid = _per_epoch(TrainingRun(500, 3, 1, 1.0, seed=3), "full_valid_loss")

    assert valid[0] > valid[1] > valid[2]


def test_the_learning_rate_has_a_sweet_spot() -> None:
    slow, good, unstable = (_final(TrainingRun(200, 3, 1, lr, seed=5)) for lr in (0.05, 1.0, 8.0))

    assert slow > good and unstable > good


def test_larger_batches_give_a_smoother_curve() -> None:
    def roughness(batch: int) -> float:
        run = TrainingRun(2000, 1, batch, 1.0, seed=11)
        losses = [metrics_at(run, s).train_loss for s in range(1, run.total_steps + 1)]
        return statistics.pstdev(b / a for a, b in itertools.pairwise(losses))

    assert roughness(16) < roughness(1) / 2


def test_the_same_inputs_give_the_same_curve_and_the_seed_changes_only_the_noise() -> None:
    run = TrainingRun(100, 3, 2, 1.0, seed=1)
    other_seed = TrainingRun(100, 3, 2, 1.0, seed=2)

    assert results_csv(run) == results_csv(TrainingRun(100, 3, 2, 1.0, seed=1))
    assert results_csv(run) != results_csv(other_seed)
    assert abs(_final(run) - _final(other_seed)) < 0.05


def test_loss_falls_from_the_first_step_to_the_last() -> None:
    run = TrainingRun(300, 3, 1, 1.0, seed=9)

    assert metrics_at(run, run.total_steps).train_loss < metrics_at(run, 1).train_loss / 2
    assert (
        metrics_at(run, run.total_steps).train_mean_token_accuracy
        > metrics_at(run, 1).train_mean_token_accuracy
    )
