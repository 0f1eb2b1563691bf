"""A local emulator of the Azure OpenAI fine-tuning data plane (files, jobs, models, chat completions).

The public names load on first use, so `import ftstack.emulator.faults` (the CLI's help text) does not
pull in the web framework.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EmulatorSettings": "ftstack.emulator.settings",
    "FaultRule": "ftstack.emulator.faults",
    "create_app": "ftstack.emulator.app",
    "parse_fault_spec": "ftstack.emulator.faults",
    "running_emulator": "ftstack.emulator.server",
    "serve": "ftstack.emulator.server",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ftstack.emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
