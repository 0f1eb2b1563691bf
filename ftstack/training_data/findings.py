"""What a check finds in a training file: stable codes and line-numbered findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """Stable finding codes of `ftstack data validate` (part of the CLI contract; never renamed)."""

    # errors: the file or a line
    INVALID_UTF8 = "invalid_utf8"
    LONE_SURROGATE = "lone_surrogate"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_KEY = "unknown_key"
    # errors: messages
    MISSING_MESSAGES = "missing_messages"
    EMPTY_MESSAGES = "empty_messages"
    INVALID_ROLE = "invalid_role"
    MISSING_CONTENT = "missing_content"
    INVALID_CONTENT = "invalid_content"
    INVALID_NAME = "invalid_name"
    NO_ASSISTANT_MESSAGE = "no_assistant_message"
    INVALID_WEIGHT = "invalid_weight"
    # errors: tools
    INVALID_TOOLS = "invalid_tools"
    INVALID_TOOL_CALL = "invalid_tool_call"
    TOOL_RESULT_WITHOUT_CALL = "tool_result_without_call"
    # errors: images
    IMAGES_NOT_SUPPORTED = "images_not_supported"
    IMAGE_IN_ASSISTANT_MESSAGE = "image_in_assistant_message"
    INVALID_IMAGE = "invalid_image"
    INVALID_IMAGE_DATA = "invalid_image_data"
    IMAGE_TOO_LARGE = "image_too_large"
    TOO_MANY_IMAGES = "too_many_images"
    TOO_MANY_IMAGE_EXAMPLES = "too_many_image_examples"
    # errors: DPO
    MISSING_PREFERRED_OUTPUT = "missing_preferred_output"
    MISSING_NON_PREFERRED_OUTPUT = "missing_non_preferred_output"
    # errors: limits
    EXAMPLE_TOO_LONG = "example_too_long"
    TOO_FEW_EXAMPLES = "too_few_examples"
    FILE_TOO_LARGE = "file_too_large"
    METHOD_NOT_SUPPORTED = "method_not_supported"
    # warnings: kept as warnings where the service's own treatment is not documented
    MISSING_SYSTEM_MESSAGE = "missing_system_message"
    MISSING_USER_MESSAGE = "missing_user_message"
    NO_TRAINED_ASSISTANT_MESSAGE = "no_trained_assistant_message"
    TOOL_ARGUMENTS_NOT_OBJECT = "tool_arguments_not_object"
    IDENTICAL_DPO_OUTPUTS = "identical_dpo_outputs"
    DPO_INPUT_ENDS_WITH_ASSISTANT = "dpo_input_ends_with_assistant"
    DUPLICATE_EXAMPLE = "duplicate_example"
    BLANK_LINE = "blank_line"
    NO_BOM = "no_bom"
    TOKENS_TIMES_EPOCHS_OVER_QUOTA = "tokens_times_epochs_over_quota"


@dataclass(frozen=True)
class Finding:
    """One problem: the 1-based line it is on (None for the whole file), its code and a message."""

    line: int | None
    code: str
    message: str

    def to_json(self) -> dict[str, object]:
        """The CLI contract's shape: {"line", "code", "message"}."""
        return {"line": self.line, "code": self.code, "message": self.message}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.code}: {self.message}"
