"""The result of validating a training file: findings, token totals and the billed-token estimate,
as the CLI's JSON and as the one-line message the service would give."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftstack.training_data.epochs import auto_epochs, billed_tokens
from ftstack.training_data.findings import Code, Finding
from ftstack.training_data.scan import FileScan


@dataclass(frozen=True)
class TokenStats:
    """Token totals of a file in the model's encoding."""

    total: int
    max_example: int
    max_example_line: int | None
    assistant: int
    limit: int
    over_limit: int
    encoding: str

    def to_json(self) -> dict[str, object]:
        """The `tokens` object of the CLI contract."""
        return {
            "total": self.total,
            "max_example": self.max_example,
            "max_example_line": self.max_example_line,
            "assistant": self.assistant,
            "limit": self.limit,
            "over_limit": self.over_limit,
            "encoding": self.encoding,
        }


@dataclass
class ValidationReport:
    """Whether a training file can be used for a model and method, every problem found, and its tokens."""

    valid: bool
    examples: int
    errors: list[Finding]
    warnings: list[Finding]
    tokens: TokenStats
    billed_tokens_estimate: int
    epochs: int
    error_counts: dict[str, int] = field(default_factory=dict)
    warning_counts: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    roles: dict[str, int] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """Every error found, shown or not."""
        return sum(self.error_counts.values())

    @property
    def warning_count(self) -> int:
        """Every warning found, shown or not."""
        return sum(self.warning_counts.values())

    def to_json(self) -> dict[str, object]:
        """The CLI contract's JSON (`ftstack data validate --json`); `errors` and `warnings` hold the
        first 100 findings of each code, `error_counts` and `warning_counts` count them all by code."""
        return {
            "valid": self.valid,
            "examples": self.examples,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
            "tokens": self.tokens.to_json(),
            "billed_tokens_estimate": self.billed_tokens_estimate,
            "epochs": self.epochs,
            "error_count": self.error_count,
            "errors_not_shown": self.error_count - len(self.errors),
            "warning_count": self.warning_count,
            "warnings_not_shown": self.warning_count - len(self.warnings),
            "error_counts": {str(code): n for code, n in sorted(self.error_counts.items())},
            "warning_counts": {str(code): n for code, n in sorted(self.warning_counts.items())},
        }

    def summary(self) -> str:
        """One line: "valid: N examples, T tokens" or the first errors, like the service's error message."""
        if self.valid:
            return (
                f"valid: {self.examples:,} examples, {self.tokens.total:,} tokens "
                f"({self.billed_tokens_estimate:,} billed over {self.epochs} epochs)"
            )
        shown = "; ".join(str(f) for f in self.errors[:3])
        more = self.error_count - min(3, len(self.errors))
        tail = f"; and {more:,} more error{'s' if more != 1 else ''}" if more > 0 else ""
        noun = "error" if self.error_count == 1 else "errors"
        return f"invalid training file ({self.error_count:,} {noun}): {shown}{tail}"


def report_from_scan(scan: FileScan) -> ValidationReport:
    """The validation report of one file pass."""
    settings = scan.settings
    limit = settings.example_token_limit
    capped = scan.capped_tokens
    epochs = auto_epochs(scan.examples)
    billed = billed_tokens(capped, epochs)
    warnings = list(scan.warnings)
    warning_counts = dict(scan.warning_counts)
    if billed > settings.rules.max_tokens_times_epochs:
        warnings.insert(
            0,
            Finding(
                None,
                Code.TOKENS_TIMES_EPOCHS_OVER_QUOTA,
                f"{capped:,} tokens x {epochs} epochs = {billed:,}; Azure allows at most "
                f"{settings.rules.max_tokens_times_epochs:,} per job: use fewer epochs or a smaller file",
            ),
        )
        warning_counts[Code.TOKENS_TIMES_EPOCHS_OVER_QUOTA] = 1
    return ValidationReport(
        valid=scan.error_count == 0,
        examples=scan.examples,
        errors=list(scan.errors),
        warnings=warnings,
        tokens=TokenStats(
            total=scan.tokens,
            max_example=scan.max_example,
            max_example_line=scan.max_example_line,
            assistant=scan.assistant_tokens,
            limit=limit,
            over_limit=scan.over_limit,
            encoding=settings.encoding,
        ),
        billed_tokens_estimate=billed,
        epochs=epochs,
        error_counts=dict(scan.error_counts),
        warning_counts=warning_counts,
        duplicates=scan.duplicates,
        roles=dict(scan.roles),
    )
