"""The root `ftstack` command; each command group lives in its own module and is registered here."""

from __future__ import annotations

import typer

from ftstack.cli import check as check_cli
from ftstack.cli import config as config_cli
from ftstack.cli import data as data_cli
from ftstack.cli import emulator as emulator_cli
from ftstack.cli import eval as eval_cli
from ftstack.cli import experiment as experiment_cli
from ftstack.cli import matrix as matrix_cli
from ftstack.cli import report as report_cli

app = typer.Typer(
    name="ftstack",
    help="Azure OpenAI fine-tuning as code: capability matrix, config, data, jobs, checks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(matrix_cli.app, name="matrix")
app.add_typer(config_cli.app, name="config")
app.add_typer(data_cli.app, name="data")
app.add_typer(experiment_cli.app, name="experiment")
app.command("emulator")(emulator_cli.emulator)
app.command("eval")(eval_cli.eval_command)
app.command("report")(report_cli.report_command)
app.command("check")(check_cli.check)
app.command("policy-config")(check_cli.policy_config)


def main() -> None:
    """Console-script entry point."""
    app()
