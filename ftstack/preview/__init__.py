"""Credential-free preview: run the real Pulumi program under mocks and record what it declares."""

from ftstack.preview.capture import UNKNOWN, DeclaredResource
from ftstack.preview.program import ProgramError, ProgramRun, run_program

__all__ = ["UNKNOWN", "DeclaredResource", "ProgramError", "ProgramRun", "run_program"]
