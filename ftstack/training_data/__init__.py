"""Training-data toolkit: validate, count tokens, describe and split JSONL fine-tuning files,
streaming and offline. Importing it starts no process and loads no encoding."""

from ftstack.training_data.epochs import auto_epochs, explain_auto_epochs
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.report import TokenStats, ValidationReport
from ftstack.training_data.tokenizer import EncodingUnavailableError, count_tokens, get_encoding
from ftstack.training_data.validate import validate_file

__all__ = [
    "Code",
    "EncodingUnavailableError",
    "Finding",
    "TokenStats",
    "ValidationReport",
    "auto_epochs",
    "count_tokens",
    "explain_auto_epochs",
    "get_encoding",
    "validate_file",
]
