"""Compare the capability matrix with what Azure's Models API reports; pure data, no SDK."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ftstack.catalog.matrix import CapabilityMatrix

DriftKind = Literal["missing_in_azure", "missing_in_file", "token_limit", "unknown_model"]


@dataclass(frozen=True)
class AzureModel:
    """What the Models API says about one model version at one location."""

    region: str
    name: str
    version: str
    fine_tune: bool
    tokens_max: int | None = None
    tokens_max_per_example: int | None = None
    lifecycle_status: str | None = None


@dataclass(frozen=True)
class Difference:
    """One place where Azure and the matrix file disagree."""

    kind: DriftKind
    model: str
    version: str
    region: str
    message: str

    def to_json(self) -> dict[str, str]:
        """JSON form for `ftstack matrix refresh --json`."""
        return {
            "kind": self.kind,
            "model": self.model,
            "version": self.version,
            "region": self.region,
            "message": self.message,
        }


def compare(matrix: CapabilityMatrix, azure: dict[str, list[AzureModel]]) -> list[Difference]:
    """Every disagreement between the file and Azure for the regions in `azure` (region -> models there).

    Azure exposes no training type per region, so `fineTune` is compared with standard training only; a
    global-training region is reported when Azure says fine-tuning is not available there at all.
    """
    diffs: list[Difference] = []
    known = {(r.model, r.version) for r in matrix.rows}
    for region, models in azure.items():
        tunable = {(m.name, m.version): m for m in models if m.fine_tune}
        for row in matrix.rows:
            key = (row.model, row.version)
            in_file = region in row.standard_regions
            seen = tunable.get(key)
            if in_file and seen is None:
                diffs.append(
                    Difference(
                        "missing_in_azure",
                        row.model,
                        row.version,
                        region,
                        f"the file lists standard training for {row.label} in {region}; "
                        "Azure reports no fine-tune capability there",
                    )
                )
            elif not in_file and seen is not None and region not in matrix.global_regions:
                diffs.append(
                    Difference(
                        "missing_in_file",
                        row.model,
                        row.version,
                        region,
                        f"Azure reports fine-tune capability for {row.label} in {region}; "
                        "the file does not list it",
                    )
                )
            if seen is not None and seen.tokens_max_per_example not in (None, row.example_token_limit):
                diffs.append(
                    Difference(
                        "token_limit",
                        row.model,
                        row.version,
                        region,
                        f"{row.label}: Azure says {seen.tokens_max_per_example:,} tokens per "
                        f"example, the file {row.example_token_limit:,}",
                    )
                )
        for name, version in sorted(tunable):
            if (name, version) not in known:
                diffs.append(
                    Difference(
                        "unknown_model",
                        name,
                        version,
                        region,
                        f"Azure offers fine-tuning of {name} ({version}) in {region}; the "
                        "matrix has no row for it (add one with its source)",
                    )
                )
    return diffs
