"""Where `ftstack emulator` gets its token: `--token`, else `FTSTACK_EMULATOR_TOKEN`, else the first line of
`--token-file`; with none of them, a random token, written to a file only its owner can read (`--token-file`,
else `token` in `--state-dir`, which a restart then reuses, else a fresh private temporary directory).
The environment variable and the file keep the token out of `ps`."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

TOKEN_ENV = "FTSTACK_EMULATOR_TOKEN"
STATE_TOKEN_FILE = "token"
MAX_TOKEN_CHARS = 4096


class TokenSourceError(ValueError):
    """A token source that cannot be read or written (one line saying which and why)."""


@dataclass(frozen=True)
class EmulatorToken:
    """The token in use, where it came from, and the file that holds it (when there is one)."""

    value: str
    source: str
    file: Path | None = None
    generated: bool = False
    # True when `file` sits in a temporary directory made for it (removed when the emulator stops).
    temporary: bool = False


def _checked(value: str, source: str) -> str:
    token = value.strip()
    if not token:
        raise TokenSourceError(f"{source} holds no token")
    if len(token) > MAX_TOKEN_CHARS or any(ord(c) < 0x21 or ord(c) > 0x7E for c in token):
        raise TokenSourceError(
            f"{source}: a token is 1 to {MAX_TOKEN_CHARS} printable ASCII characters, no spaces"
        )
    return token


def _read(path: Path) -> str:
    try:
        with path.open("r", encoding="utf-8") as handle:
            first = handle.readline(MAX_TOKEN_CHARS + 2)
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenSourceError(f"--token-file {path}: cannot read it ({exc})") from exc
    return _checked(first, f"--token-file {path}")


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 0600: a new temporary file beside it (never through a
    symlink), flushed to disk, then renamed over `path`."""
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(partial).chmod(0o600)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def resolve_token(token: str | None, token_file: Path | None, state_dir: Path | None) -> EmulatorToken:
    """The emulator's token from the option, the environment or the token file; else a new random one,
    saved (mode 0600) to `token_file`, to `state_dir/token` (reused on restart) or to a private temporary
    directory."""
    if token is not None:
        return EmulatorToken(_checked(token, "--token"), "--token")
    from_env = os.environ.get(TOKEN_ENV)
    if from_env is not None and from_env.strip():
        return EmulatorToken(_checked(from_env, TOKEN_ENV), TOKEN_ENV)
    if token_file is not None and token_file.exists():
        return EmulatorToken(_read(token_file), "--token-file", token_file)
    saved = state_dir / STATE_TOKEN_FILE if state_dir is not None else None
    if token_file is None and saved is not None and saved.is_file():
        return EmulatorToken(_read(saved), "--state-dir", saved)
    target = token_file or saved
    temporary = target is None
    try:
        if target is None:
            target = Path(tempfile.mkdtemp(prefix="ftstack-emulator-")) / STATE_TOKEN_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        write_private(target, value + "\n")
    except OSError as exc:
        raise TokenSourceError(f"cannot write the emulator's token to {target}: {exc}") from exc
    return EmulatorToken(value, "generated", target, generated=True, temporary=temporary)


def remove_temporary(token: EmulatorToken) -> None:
    """Remove a generated token's temporary file and directory (nothing else)."""
    if token.temporary and token.file is not None:
        token.file.unlink(missing_ok=True)
        try:
            token.file.parent.rmdir()
        except OSError:
            return
