"""Model-independent training-data rules (file size, example count, vision limits, token counting,
default epochs), loaded from data/rules.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ftstack.catalog.data_file import load_data_file
from ftstack.catalog.provenance import SourceSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class _FileRules(_Strict):
    source: str
    max_bytes: int = Field(alias="maxBytes", gt=0)
    min_examples: int = Field(alias="minExamples", gt=0)


class _VisionRules(_Strict):
    source: str
    max_image_examples_per_file: int = Field(alias="maxImageExamplesPerFile", gt=0)
    max_images_per_example: int = Field(alias="maxImagesPerExample", gt=0)
    max_image_bytes: int = Field(alias="maxImageBytes", gt=0)
    image_media_types: tuple[str, ...] = Field(alias="imageMediaTypes")
    details: tuple[str, ...]
    low_detail_tokens: int = Field(alias="lowDetailTokens", gt=0)
    high_detail_tokens: int = Field(alias="highDetailTokens", gt=0)


class _TokenCounting(_Strict):
    source: str
    per_message: int = Field(alias="perMessage", ge=0)
    per_name: int = Field(alias="perName", ge=0)
    reply_priming: int = Field(alias="replyPriming", ge=0)


class _ToolConstants(_Strict):
    function_start: int = Field(alias="functionStart")
    properties_start: int = Field(alias="propertiesStart")
    property_key: int = Field(alias="propertyKey")
    enum_start: int = Field(alias="enumStart")
    enum_item: int = Field(alias="enumItem")
    tools_end: int = Field(alias="toolsEnd")


class _ToolCounting(_Strict):
    source: str
    by_encoding: dict[str, _ToolConstants] = Field(alias="byEncoding")


class _DefaultEpochs(_Strict):
    source: str
    target: int = Field(gt=0)
    min_target_examples: int = Field(alias="minTargetExamples", gt=0)
    max_target_examples: int = Field(alias="maxTargetExamples", gt=0)
    min_epochs: int = Field(alias="minEpochs", gt=0)
    max_epochs: int = Field(alias="maxEpochs", gt=0)


class _Billing(_Strict):
    source: str
    max_tokens_times_epochs: int = Field(alias="maxTokensTimesEpochs", gt=0)


class _RulesFile(_Strict):
    schema_version: Literal[1] = Field(alias="schemaVersion")
    sources: dict[str, SourceSpec]
    file: _FileRules
    vision: _VisionRules
    token_counting: _TokenCounting = Field(alias="tokenCounting")
    tool_counting: _ToolCounting = Field(alias="toolCounting")
    default_epochs: _DefaultEpochs = Field(alias="defaultEpochs")
    billing: _Billing


@dataclass(frozen=True)
class ToolTokenConstants:
    """The fixed tokens the models' rendering of tool definitions adds (the cookbook's
    num_tokens_for_tools constants for one encoding)."""

    function_start: int
    properties_start: int
    property_key: int
    enum_start: int
    enum_item: int
    tools_end: int


@dataclass(frozen=True)
class DataRules:
    """The training-data rules every check uses; picklable so worker processes receive them."""

    max_file_bytes: int
    min_examples: int
    max_image_examples_per_file: int
    max_images_per_example: int
    max_image_bytes: int
    image_media_types: tuple[str, ...]
    image_details: tuple[str, ...]
    low_detail_image_tokens: int
    high_detail_image_tokens: int
    tokens_per_message: int
    tokens_per_name: int
    reply_priming_tokens: int
    tool_tokens: tuple[tuple[str, ToolTokenConstants], ...]
    epochs_target: int
    epochs_min_target_examples: int
    epochs_max_target_examples: int
    epochs_min: int
    epochs_max: int
    max_tokens_times_epochs: int
    epochs_source: str

    def tool_constants(self, encoding: str) -> ToolTokenConstants:
        """The tool-rendering constants of `encoding`; KeyError for an encoding rules.yaml does not list."""
        return dict(self.tool_tokens)[encoding]


@cache
def load_rules() -> DataRules:
    """The shipped training-data rules, validated on first use."""
    parsed = load_data_file("ftstack.training_data", "rules.yaml", _RulesFile)
    cited = {
        parsed.file.source,
        parsed.vision.source,
        parsed.token_counting.source,
        parsed.tool_counting.source,
        parsed.default_epochs.source,
        parsed.billing.source,
    }
    missing = sorted(cited - set(parsed.sources))
    if missing:
        raise ValueError(f"ftstack/training_data/data/rules.yaml cites unknown sources: {', '.join(missing)}")
    epochs_source = parsed.sources[parsed.default_epochs.source].title
    return DataRules(
        max_file_bytes=parsed.file.max_bytes,
        min_examples=parsed.file.min_examples,
        max_image_examples_per_file=parsed.vision.max_image_examples_per_file,
        max_images_per_example=parsed.vision.max_images_per_example,
        max_image_bytes=parsed.vision.max_image_bytes,
        image_media_types=parsed.vision.image_media_types,
        image_details=parsed.vision.details,
        low_detail_image_tokens=parsed.vision.low_detail_tokens,
        high_detail_image_tokens=parsed.vision.high_detail_tokens,
        tokens_per_message=parsed.token_counting.per_message,
        tokens_per_name=parsed.token_counting.per_name,
        reply_priming_tokens=parsed.token_counting.reply_priming,
        tool_tokens=tuple(
            (name, ToolTokenConstants(**c.model_dump()))
            for name, c in parsed.tool_counting.by_encoding.items()
        ),
        epochs_target=parsed.default_epochs.target,
        epochs_min_target_examples=parsed.default_epochs.min_target_examples,
        epochs_max_target_examples=parsed.default_epochs.max_target_examples,
        epochs_min=parsed.default_epochs.min_epochs,
        epochs_max=parsed.default_epochs.max_epochs,
        max_tokens_times_epochs=parsed.billing.max_tokens_times_epochs,
        epochs_source=epochs_source,
    )
