"""The fine-tuning capability matrix: which model can be trained where, loaded from data/models.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.errors import (
    AmbiguousVersionError,
    CatalogError,
    UnknownModelError,
    UnknownVersionError,
)
from ftstack.catalog.provenance import Provenance, SourceSpec, provenance
from ftstack.catalog.regions import RegionTable, load_regions

Modality = Literal["text-to-text", "text-and-vision-to-text"]
Method = Literal["supervised", "dpo"]
Encoding = Literal["cl100k_base", "o200k_base"]


class TrainingType(StrEnum):
    """Where training runs: in the resource's region (standard) or anywhere (global, no data residency)."""

    STANDARD = "standard"
    GLOBAL = "global"

    @property
    def azure_value(self) -> str:
        """The `trainingType` value the Azure fine-tuning API expects."""
        return {"standard": "Standard", "global": "GlobalStandard"}[self.value]

    @classmethod
    def parse(cls, value: str) -> TrainingType:
        """The training type from ftstack's spelling or Azure's (`Standard`, `GlobalStandard`), any case."""
        key = value.strip().replace("-", "").replace("_", "").replace(" ", "").lower()
        found = {"standard": cls.STANDARD, "global": cls.GLOBAL, "globalstandard": cls.GLOBAL}.get(key)
        if found is None:
            raise CatalogError(
                f"unknown training type {value!r}; use standard or global (Azure: Standard, GlobalStandard)"
            )
        return found


def normalize_method(value: str) -> str:
    """A fine-tuning method in any case (`DPO`, `Supervised`) as the matrix spells it."""
    return value.strip().lower()


# --- the data file's schema (validated on load) -------------------------------------------------


class _Supplement(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str
    methods: list[Method]
    encoding: Encoding
    encoding_source: str = Field(alias="encodingSource")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    model: str
    version: str
    source: str
    standard_regions: list[str] = Field(alias="standardRegions")
    global_training: bool = Field(alias="globalTraining")
    max_input_tokens: int = Field(alias="maxInputTokens", gt=0)
    max_output_tokens: int | None = Field(alias="maxOutputTokens", gt=0)
    training_example_context_length: int | None = Field(alias="trainingExampleContextLength", gt=0)
    training_data_cutoff: str = Field(alias="trainingDataCutoff", pattern=r"^\d{4}-\d{2}$")
    modality: Modality
    supplement: _Supplement


class _GlobalTraining(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str
    regions: list[str]
    no_vision_regions: list[str] = Field(alias="noVisionRegions")


class _MatrixFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_version: Literal[1] = Field(alias="schemaVersion")
    sources: dict[str, SourceSpec]
    global_training: _GlobalTraining = Field(alias="globalTraining")
    models: list[_Row]

    @model_validator(mode="after")
    def _consistent(self) -> _MatrixFile:
        regions = load_regions()
        keys = [(r.model, r.version) for r in self.models]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate (model, version) row")
        cited = [self.global_training.source]
        for row in self.models:
            cited += [row.source, row.supplement.source, row.supplement.encoding_source]
            for name in row.standard_regions:
                if name not in regions.names():
                    raise ValueError(f"{row.model} ({row.version}): unknown region {name!r}")
        for name in self.global_training.regions + self.global_training.no_vision_regions:
            if name not in regions.names():
                raise ValueError(f"globalTraining: unknown region {name!r}")
        missing = sorted(set(cited) - set(self.sources))
        if missing:
            raise ValueError(f"rows cite unknown sources: {', '.join(missing)}")
        return self


# --- the in-memory matrix -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    """One (model, version) row of the matrix with its training regions and limits."""

    model: str
    version: str
    standard_regions: tuple[str, ...]
    global_training: bool
    max_input_tokens: int
    max_output_tokens: int | None
    training_example_context_length: int | None
    training_data_cutoff: str
    modality: Modality
    methods: tuple[Method, ...]
    encoding: Encoding
    provenance: Provenance
    supplement_provenance: Provenance

    @property
    def vision(self) -> bool:
        """True when the model accepts images in its training data."""
        return self.modality == "text-and-vision-to-text"

    @property
    def example_token_limit(self) -> int:
        """Tokens one training example may hold: the training context length, else the max input tokens."""
        return self.training_example_context_length or self.max_input_tokens

    @property
    def label(self) -> str:
        """`model (version)`, the way the seed names a row."""
        return f"{self.model} ({self.version})"

    @property
    def azure_base_model(self) -> str:
        """The base model id the fine-tuning API takes, e.g. `gpt-4.1-2025-04-14`."""
        return f"{self.model}-{self.version}"


@dataclass(frozen=True)
class CapabilityOverride:
    """A stack's explicit addition of a training region for a model, with the reason it is trusted."""

    model: str
    version: str
    region: str
    training: TrainingType
    justification: str


@dataclass(frozen=True)
class Decision:
    """Whether a model can be trained in a region with a training type, why, and where it could be instead."""

    allowed: bool
    model: str
    version: str | None
    region: str
    training: TrainingType
    reasons: tuple[str, ...]
    alternatives: dict[TrainingType, tuple[str, ...]]
    override: CapabilityOverride | None = None

    def to_json(self) -> dict[str, object]:
        """The CLI contract's JSON shape (regions as ARM names)."""
        data: dict[str, object] = {
            "allowed": self.allowed,
            "model": self.model,
            "version": self.version,
            "region": self.region,
            "training": self.training.value,
            "reasons": list(self.reasons),
            "alternatives": {t.value: list(self.alternatives.get(t, ())) for t in TrainingType},
        }
        if self.override is not None:
            data["override"] = {"justification": self.override.justification}
        return data


@dataclass
class CapabilityMatrix:
    """All rows, the global-training region list and the region table; answers capability questions."""

    rows: list[ModelRow]
    global_regions: tuple[str, ...]
    global_no_vision_regions: tuple[str, ...]
    global_provenance: Provenance
    regions: RegionTable
    sources: dict[str, Provenance] = field(default_factory=dict)

    # --- lookups ---

    def model_names(self) -> list[str]:
        """Every model name, in file order, without repeats."""
        return list(dict.fromkeys(r.model for r in self.rows))

    def versions(self, model: str) -> list[str]:
        """The versions the matrix lists for `model`; UnknownModelError when it has none."""
        found = [r.version for r in self.rows if r.model == model.strip().lower()]
        if not found:
            raise UnknownModelError(
                f"unknown model {model!r}; models that can be fine-tuned: {', '.join(self.model_names())}"
            )
        return found

    def split_model_id(self, model: str, version: str | None = None) -> tuple[str, str | None]:
        """(model, version) from Azure's spelling of a model id with its version (`gpt-4o-mini-2024-07-18`,
        `gpt-35-turbo-0125`); other spellings come back as given."""
        name = model.strip().lower()
        if name in self.model_names():
            return model, version
        for row in self.rows:
            if name == f"{row.model}-{row.version}".lower() and version in (None, row.version):
                return row.model, row.version
        return model, version

    def row(self, model: str, version: str) -> ModelRow:
        """The row for (model, version); UnknownModelError or UnknownVersionError naming what exists."""
        split_model, split_version = self.split_model_id(model, version)
        model, version = split_model, split_version or version
        versions = self.versions(model)
        for r in self.rows:
            if r.model == model.strip().lower() and r.version == str(version).strip():
                return r
        raise UnknownVersionError(
            f"unknown version {version!r} of {model}; known versions: {', '.join(versions)}"
        )

    def resolve_row(
        self,
        model: str,
        version: str | None,
        region: str | None = None,
        training: TrainingType | None = None,
        vision: bool = False,
    ) -> ModelRow:
        """The row meant by (model, version); with no version, the only version, or the only one fit for
        the request; AmbiguousVersionError listing the versions otherwise."""
        model, version = self.split_model_id(model, version)
        if version is not None:
            return self.row(model, version)
        versions = self.versions(model)
        if len(versions) == 1:
            return self.row(model, versions[0])
        if region is not None and training is not None:
            fit = [v for v in versions if self.check(model, v, region, training, vision).allowed]
            if len(fit) == 1:
                return self.row(model, fit[0])
        raise AmbiguousVersionError(
            f"{model} has several versions ({', '.join(versions)}); say which one with a version"
        )

    # --- decisions ---

    def alternatives(self, row: ModelRow, vision: bool = False) -> dict[TrainingType, tuple[str, ...]]:
        """The regions where `row` can be trained, per training type (for vision data when `vision`)."""
        if not row.global_training:
            global_regions: tuple[str, ...] = ()
        elif vision:
            global_regions = tuple(r for r in self.global_regions if r not in self.global_no_vision_regions)
        else:
            global_regions = self.global_regions
        return {TrainingType.STANDARD: row.standard_regions, TrainingType.GLOBAL: global_regions}

    def check(
        self,
        model: str,
        version: str,
        region: str,
        training: TrainingType | str,
        vision: bool = False,
        overrides: tuple[CapabilityOverride, ...] | list[CapabilityOverride] = (),
    ) -> Decision:
        """Decide whether (model, version) can be trained in `region` with `training`; every reason given."""
        training = TrainingType(training)
        row = self.row(model, version)
        where = self.regions.get(region)
        alternatives = self.alternatives(row, vision)
        reasons: list[str] = []
        if vision and not row.vision:
            reasons.append(f"{row.label} does not accept images: its modality is {row.modality}")
        if training is TrainingType.STANDARD:
            if where.name not in row.standard_regions:
                reasons.append(
                    f"{row.label} cannot be trained with standard training in {where.name}; "
                    f"standard training is available in {_list(row.standard_regions)}"
                )
        else:
            if not row.global_training:
                reasons.append(f"global training is not offered for {row.label}")
            if where.name not in self.global_regions:
                reasons.append(
                    f"global training needs the resource in a global-training region, and {where.name} "
                    f"is not one; global-training regions: {_list(self.global_regions)}"
                )
            elif vision and where.name in self.global_no_vision_regions:
                reasons.append(f"global training in {where.name} has no vision support")
        override = next(
            (
                o
                for o in overrides
                if o.model == row.model
                and o.version == row.version
                and self.regions.get(o.region).name == where.name
                and o.training is training
            ),
            None,
        )
        if reasons and override is not None and not (vision and not row.vision):
            reasons = [f"allowed by the stack's override: {override.justification}", *reasons]
            return Decision(
                True, row.model, row.version, where.name, training, tuple(reasons), alternatives, override
            )
        if not reasons:
            kind = "standard training" if training is TrainingType.STANDARD else "global training"
            reasons.append(f"{row.label} supports {kind} in {where.name}")
            return Decision(True, row.model, row.version, where.name, training, tuple(reasons), alternatives)
        return Decision(False, row.model, row.version, where.name, training, tuple(reasons), alternatives)


def _list(regions: tuple[str, ...] | list[str]) -> str:
    return ", ".join(regions) if regions else "no region"


@cache
def load_matrix() -> CapabilityMatrix:
    """The shipped capability matrix, validated on first use."""
    parsed = load_data_file("ftstack.catalog", "models.yaml", _MatrixFile)
    rows = [
        ModelRow(
            model=r.model,
            version=r.version,
            standard_regions=tuple(r.standard_regions),
            global_training=r.global_training,
            max_input_tokens=r.max_input_tokens,
            max_output_tokens=r.max_output_tokens,
            training_example_context_length=r.training_example_context_length,
            training_data_cutoff=r.training_data_cutoff,
            modality=r.modality,
            methods=tuple(r.supplement.methods),
            encoding=r.supplement.encoding,
            provenance=provenance(parsed.sources, r.source),
            supplement_provenance=provenance(parsed.sources, r.supplement.source),
        )
        for r in parsed.models
    ]
    return CapabilityMatrix(
        rows=rows,
        global_regions=tuple(parsed.global_training.regions),
        global_no_vision_regions=tuple(parsed.global_training.no_vision_regions),
        global_provenance=provenance(parsed.sources, parsed.global_training.source),
        regions=load_regions(),
        sources={k: provenance(parsed.sources, k) for k in parsed.sources},
    )
