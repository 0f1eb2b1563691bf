"""User text in the pull-request comment renders as the text it is: a justification cannot add markup,
HTML, mentions, a fake verdict line or the workflow's comment marker."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ftstack.cli.app import app
from ftstack.reporting.markdown_text import cell, code_span, escape_text
from tests.check.check_projects import copy_project, edit_environment

MARKER = "<!-- ftstack-check -->"
HOSTILE = (
    f"capacity confirmed by Microsoft support {MARKER} **approved** by @platform-team, see "
    "[the ticket](https://evil.example) <img src=x onerror=alert(1)> | forged cell"
)


def test_markup_html_and_mentions_in_user_text_are_made_inert() -> None:
    escaped = escape_text(HOSTILE)

    assert MARKER not in escaped and "<" not in escaped and ">" not in escaped
    assert "\\*\\*approved\\*\\*" in escaped and "\\[the ticket\\]" in escaped
    assert "@&#8203;platform-team" in escaped and "\\| forged cell" in escaped


def test_user_text_stays_on_one_line_and_cannot_open_a_block() -> None:
    assert escape_text("fine\n### ✅ **prod**: compliant") == "fine ### ✅ \\*\\*prod\\*\\*: compliant"
    assert escape_text("# heading") == "\\# heading"
    assert escape_text("1. first") == "1\\. first"
    assert escape_text("- item") == "\\- item"


def test_bidirectional_overrides_and_control_characters_are_dropped() -> None:
    assert escape_text("approved\u202e desrever\x07") == "approved desrever"


def test_code_spans_the_report_writes_are_kept_and_hostile_ones_are_escaped() -> None:
    assert cell("`account`, `fine-tune-job`") == "`account`, `fine-tune-job`"
    assert code_span("a|b") == "`a\\|b`"
    assert cell(f"`{MARKER}`") == "&lt;!-- ftstack-check --&gt;"
    assert cell("`unclosed and *bold*") == "\\`unclosed and \\*bold\\*"


def test_a_hostile_justification_renders_inert_in_the_check_report(tmp_path: Path) -> None:
    override = {
        "model": "gpt-4o-mini",
        "version": "2024-07-18",
        "region": "francecentral",
        "training": "standard",
        "justification": HOSTILE,
    }

    def train_in_france(env: dict[str, object]) -> None:
        env["account"]["region"] = "francecentral"  # type: ignore[index]
        env["capabilityOverrides"] = [override]
        env["deployments"] = []

    project = copy_project(tmp_path / "project")
    edit_environment(project, "prod-eu", train_in_france)
    result = CliRunner().invoke(
        app, ["check", "--stack", "prod-eu", "--format", "markdown", "--project-dir", str(project)]
    )

    assert result.exit_code == 0, result.stderr
    assert MARKER not in result.stdout and "<img" not in result.stdout
    assert "@&#8203;platform-team" in result.stdout
    line = next(x for x in result.stdout.splitlines() if "capacity confirmed" in x)
    assert line.startswith("- gpt-4o-mini (2024-07-18), standard training in")
