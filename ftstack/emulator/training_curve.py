"""The simulated loss curve: a deterministic function of data size, epochs, learning rate, batch size,
seed and step, with mild seeded noise. More data lowers the validation loss; too many epochs on little
data overfit (training loss keeps falling while validation loss rises); a learning rate far from the
sweet spot learns slowly or unstably; larger batches smooth the curve."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

INITIAL_LOSS = 2.2


@dataclass(frozen=True)
class TrainingRun:
    """The inputs that determine a run's curve."""

    examples: int
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one pass over the data."""
        return max(1, math.ceil(self.examples / self.batch_size))

    @property
    def total_steps(self) -> int:
        """Optimizer steps in the whole run."""
        return self.steps_per_epoch * self.n_epochs


@dataclass(frozen=True)
class StepMetrics:
    """Metrics at one step, with the keys the service reports on checkpoints and in results.csv."""

    step: int
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float
    valid_mean_token_accuracy: float
    full_valid_loss: float
    full_valid_mean_token_accuracy: float

    def to_json(self) -> dict[str, float]:
        """The checkpoint `metrics` object."""
        return {
            "step": float(self.step),
            "train_loss": self.train_loss,
            "train_mean_token_accuracy": self.train_mean_token_accuracy,
            "valid_loss": self.valid_loss,
            "valid_mean_token_accuracy": self.valid_mean_token_accuracy,
            "full_valid_loss": self.full_valid_loss,
            "full_valid_mean_token_accuracy": self.full_valid_mean_token_accuracy,
        }


def _noise(run: TrainingRun, step: int, channel: str) -> float:
    digest = hashlib.sha256(f"{run.seed}:{step}:{channel}".encode()).digest()
    return random.Random(digest).gauss(0.0, 1.0)


def _accuracy(loss: float) -> float:
    return round(min(0.999, max(0.0, math.exp(-0.55 * loss))), 4)


def metrics_at(run: TrainingRun, step: int) -> StepMetrics:
    """The metrics of `run` after `step` optimizer steps."""
    epochs_seen = step / run.steps_per_epoch
    lr = run.learning_rate_multiplier
    # Learning speed: grows with the learning rate up to a plateau; larger batches learn a bit slower per
    # epoch but with less noise.
    speed = 1.6 * (1 - math.exp(-lr / 0.6)) / (1 + 0.08 * math.log2(run.batch_size))
    # Too high a learning rate makes training unstable: it raises the reachable loss.
    instability = 0.12 * max(0.0, lr - 2.5) ** 2
    # What the data can teach: more examples generalize better.
    generalization_floor = 0.22 + 1.25 / math.sqrt(1 + run.examples / 25) + instability
    # Training loss keeps falling as the model memorizes, faster on small data.
    memorization = 0.45 / math.sqrt(1 + run.examples / 200)
    learned = math.exp(-speed * epochs_seen)
    train_floor = generalization_floor * math.exp(-memorization * speed * epochs_seen)
    train_clean = train_floor + (INITIAL_LOSS - train_floor) * learned
    # Overfitting: past the epochs the data can bear, validation loss climbs again.
    bearable_epochs = 1.5 + math.log1p(run.examples / 20)
    overfit = 0.22 / math.sqrt(1 + run.examples / 50) * max(0.0, epochs_seen - bearable_epochs) ** 1.3
    valid_clean = (
        generalization_floor + (INITIAL_LOSS - generalization_floor) * learned + overfit * min(lr, 3)
    )
    jitter = 0.06 / math.sqrt(run.batch_size) + 0.02 * instability
    train_loss = max(0.01, train_clean * (1 + jitter * _noise(run, step, "train")))
    valid_loss = max(0.01, valid_clean * (1 + 1.5 * jitter * _noise(run, step, "valid")))
    full_valid_loss = max(0.01, valid_clean * (1 + 0.01 * _noise(run, step, "full")))
    return StepMetrics(
        step=step,
        train_loss=round(train_loss, 4),
        train_mean_token_accuracy=_accuracy(train_loss),
        valid_loss=round(valid_loss, 4),
        valid_mean_token_accuracy=_accuracy(valid_loss),
        full_valid_loss=round(full_valid_loss, 4),
        full_valid_mean_token_accuracy=_accuracy(full_valid_loss),
    )


# The columns of `results.csv` as the fine-tuning docs list them (reference §1.5: the checkpoint metrics'
# keys, except that the docs name the sampled validation accuracy `validation_mean_token_accuracy`).
RESULTS_COLUMNS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "validation_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)


def results_csv(run: TrainingRun, last_step: int | None = None) -> str:
    """The results file: one row per step; the full validation columns only at epoch ends."""
    last = run.total_steps if last_step is None else last_step
    lines = [",".join(RESULTS_COLUMNS)]
    for step in range(1, last + 1):
        m = metrics_at(run, step)
        epoch_end = step % run.steps_per_epoch == 0
        full = [f"{m.full_valid_loss}", f"{m.full_valid_mean_token_accuracy}"] if epoch_end else ["", ""]
        lines.append(
            ",".join(
                [
                    str(step),
                    f"{m.train_loss}",
                    f"{m.train_mean_token_accuracy}",
                    f"{m.valid_loss}",
                    f"{m.valid_mean_token_accuracy}",
                    *full,
                ]
            )
        )
    return "\n".join(lines) + "\n"
