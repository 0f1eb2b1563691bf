"""A local emulator of the Azure OpenAI fine-tuning data plane (files, jobs, models, chat completions)."""

from ftstack.emulator.app import create_app
from ftstack.emulator.faults import FaultRule, parse_fault_spec
from ftstack.emulator.server import running_emulator, serve
from ftstack.emulator.settings import EmulatorSettings

__all__ = [
    "EmulatorSettings",
    "FaultRule",
    "create_app",
    "parse_fault_spec",
    "running_emulator",
    "serve",
]
