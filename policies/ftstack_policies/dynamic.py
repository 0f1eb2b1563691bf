"""Which provider a dynamic resource runs, read from its pickled `__provider` input without unpickling it.

A Python dynamic resource carries its provider as a base64 pickle. The FineTuningJob provider is pickled
by reference (module `components.fine_tuning_job`, class `FineTuningJobProvider`); a subclass or a copy
pickled by value still names them. The pickle is only scanned for the names it mentions: running it
would execute the pull request's code inside the policy pack.
"""

from __future__ import annotations

import base64
import binascii
import pickletools
import struct
from functools import cache

# components/fine_tuning_job.py: the module and class of the FineTuningJob provider.
PROVIDER_MODULE = "components.fine_tuning_job"
PROVIDER_CLASS = "FineTuningJobProvider"
# The data-plane machinery the provider drives: a dynamic provider importing it runs fine-tuning jobs too.
MACHINERY_PREFIX = "ftstack.fine_tuning"


def runs_fine_tuning_job_provider(serialized: object) -> bool:
    """True when a dynamic resource's `__provider` value refers to the FineTuningJob provider or the
    fine-tuning machinery it drives."""
    if not isinstance(serialized, str) or not serialized:
        return False
    return _mentions_fine_tuning(serialized)


@cache
def _mentions_fine_tuning(serialized: str) -> bool:
    names = _pickled_strings(serialized)
    if PROVIDER_MODULE in names and PROVIDER_CLASS in names:
        return True
    return any(
        name.startswith(MACHINERY_PREFIX)
        or name.startswith(PROVIDER_MODULE)
        or f"{PROVIDER_MODULE} {PROVIDER_CLASS}" in name  # protocol 0-2 GLOBAL opcodes
        for name in names
    )


def _pickled_strings(serialized: str) -> frozenset[str]:
    """Every string argument of the pickle's opcodes (module and class names among them)."""
    try:
        data = base64.b64decode(serialized, validate=False)
    except (binascii.Error, ValueError):
        return frozenset()
    found: set[str] = set()
    try:
        for _opcode, argument, _position in pickletools.genops(data):
            if isinstance(argument, str):
                found.add(argument)
    except (ValueError, EOFError, IndexError, struct.error):
        pass  # a truncated or foreign pickle: keep what was read
    return frozenset(found)
