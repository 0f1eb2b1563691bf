"""`ftstack local --stack` accepts the spellings Pulumi users type, and refuses unknown stacks up front."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.local.runner import stack_name


@pytest.mark.parametrize(
    "given",
    ["dev", "org/ftstack/dev", "stacks/Pulumi.dev.yaml", "Pulumi.dev.yaml", "./stacks/Pulumi.dev.yml"],
)
def test_every_stack_spelling_names_the_same_stack(given: str):
    assert stack_name(given) == "dev"


def test_an_unknown_stack_is_a_usage_error_listing_the_stacks():
    result = CliRunner().invoke(app, ["local", "preview", "--stack", "staging"])
    assert result.exit_code == 2
    assert "no stacks/Pulumi.staging.yaml" in result.stderr
    assert "dev, prod-eu, prod-us" in result.stderr
