"""Identifiers shaped like the service's: `file-<hex>`, `ftjob-<hex>`, `ftckpt_<base62>`, `ftevent-<hex>`."""

from __future__ import annotations

import secrets
import string

_BASE62 = string.ascii_letters + string.digits


def hex32() -> str:
    """32 random lowercase hex digits."""
    return secrets.token_hex(16)


def file_id() -> str:
    """A new file id."""
    return f"file-{hex32()}"


def job_id() -> str:
    """A new fine-tuning job id."""
    return f"ftjob-{hex32()}"


def checkpoint_id() -> str:
    """A new checkpoint id."""
    return "ftckpt_" + "".join(secrets.choice(_BASE62) for _ in range(24))


def event_id() -> str:
    """A new job event id."""
    return f"ftevent-{hex32()}"


def fine_tuned_model_id(base_model: str) -> str:
    """A fine-tuned model id, `<base>-<version>.ft-<32 hex>`."""
    return f"{base_model}.ft-{hex32()}"
