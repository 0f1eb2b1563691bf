"""Benchmark `ftstack check` against the import floor, side by side in one run.

The floor is a fresh process that imports pulumi and pulumi_policy and loads every azure-native module the
program uses: the modules are read from the check report's own resource types
(`azure-native:network:PrivateEndpoint` -> `pulumi_azure_native.network.PrivateEndpoint`). Attribute access
is what loads them: pulumi_azure_native imports its modules lazily, so a bare `import
pulumi_azure_native.network` loads nothing, and the program does load them. No check can take less than
the floor: its program imports the same.

The two commands run in turn (floor, check, floor, check, ...) after one warm-up each, so a machine whose
speed drifts slows both alike; the ratio is taken pair by pair and its median printed, with the wall and
CPU seconds (this process's children: the check's analyzer process included) of each. `--all` times
`ftstack check --all` as well, against the same floor. Target (issue 18): check at most 2x the floor.

    python scripts/bench_check.py [--stack prod-eu] [--runs 5] [--all]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AZURE_NATIVE = "azure-native:"
TARGET = 2.0


@dataclass(frozen=True)
class Timing:
    """One finished run: wall seconds and the CPU seconds of the process and its children."""

    wall: float
    cpu: float


def ftstack() -> str:
    """The ftstack console script next to this interpreter."""
    return str(Path(sys.executable).with_name("ftstack"))


def floor_program(resource_types: list[str]) -> str:
    """The floor: pulumi, pulumi_policy, and each azure-native class the stack declares, loaded."""
    classes = sorted(
        {tuple(t[len(AZURE_NATIVE) :].split(":", 1)) for t in resource_types if t.startswith(AZURE_NATIVE)}
    )
    lines = ["import pulumi, pulumi_policy, pulumi_azure_native"]
    lines += [f"pulumi_azure_native.{module}.{name}" for module, name in classes]
    return "\n".join(lines)


def timed(command: list[str]) -> Timing:
    """Run `command` to the end (output discarded) and time it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def side_by_side(floor: list[str], check: list[str], runs: int) -> tuple[list[Timing], list[Timing]]:
    """`runs` counted pairs (floor, then check) after one warm-up of each."""
    timed(floor)
    timed(check)
    pairs = [(timed(floor), timed(check)) for _ in range(runs)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def row(label: str, timings: list[Timing]) -> str:
    walls = [t.wall for t in timings]
    cpus = [t.cpu for t in timings]
    return (
        f"{label:<34} wall median {statistics.median(walls):6.2f} s (min {min(walls):.2f}, max {max(walls):.2f})"
        f"   cpu median {statistics.median(cpus):6.2f} s"
    )


def ratio_row(label: str, floor: list[Timing], other: list[Timing]) -> tuple[str, float]:
    walls = [o.wall / f.wall for f, o in zip(floor, other, strict=True)]
    cpus = [o.cpu / f.cpu for f, o in zip(floor, other, strict=True)]
    median = statistics.median(walls)
    line = (
        f"{label:<34} wall {median:5.2f}x (pairs {min(walls):.2f}-{max(walls):.2f})"
        f"   cpu {statistics.median(cpus):5.2f}x"
    )
    return line, median


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", default="prod-eu")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="also time `ftstack check --all`")
    args = parser.parse_args()

    check = [ftstack(), "check", "--stack", args.stack, "--format", "json", "--project-dir", str(ROOT)]
    report = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, check=False)
    if report.returncode not in (0, 1):
        raise SystemExit(f"ftstack check --stack {args.stack} exited {report.returncode}: {report.stderr}")
    types = [r["type"] for r in json.loads(report.stdout)["resources"]]
    floor = [sys.executable, "-c", floor_program(types)]
    modules = sorted({t.split(":")[1] for t in types if t.startswith(AZURE_NATIVE)})
    print(f"stack {args.stack}; floor: pulumi, pulumi_policy, azure-native {', '.join(modules)}", flush=True)

    floor_times, check_times = side_by_side(floor, check, args.runs)
    lines = [row("import floor", floor_times), row(f"ftstack check --stack {args.stack}", check_times)]
    ratio_line, ratio = ratio_row("check / floor", floor_times, check_times)
    lines.append(ratio_line)
    if args.all:
        every = [ftstack(), "check", "--all", "--format", "json", "--project-dir", str(ROOT)]
        floor_again, all_times = side_by_side(floor, every, args.runs)
        lines += [row("import floor", floor_again), row("ftstack check --all", all_times)]
        lines.append(ratio_row("check --all / floor", floor_again, all_times)[0])
    print("\n".join(lines))
    verdict = "meets" if ratio <= TARGET else "misses"
    print(
        f"check is {ratio:.2f}x the import floor (median of {args.runs} pairs): {verdict} the {TARGET:g}x target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
