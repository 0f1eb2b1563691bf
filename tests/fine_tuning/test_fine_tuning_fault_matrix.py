"""The fault matrix: every fault kind on every route the provider calls, with answers lost 0.3, 1.5 and 5 s
before the service processes the request. For each case the provider's lifecycle trains one job to the
end, creates and deletes a second while it trains, and deletes the first, re-running any step that fails
(as a user re-runs `pulumi up`), killed mid-search where a lost upload or create answer leaves it
guessing. Then the
emulator is asked what was billed and what was left: no duplicate job, no orphan file, no file deleted
under a live job, every job in the state it should end in.

Each case has its own emulator; the cases run concurrently, so the whole matrix takes about a minute
on two cores.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fine_tuning_harness import job_props

from ftstack.emulator.server import running_emulator
from ftstack.fine_tuning import inputs, lifecycle
from ftstack.fine_tuning.adoption import KEY_TAG
from ftstack.fine_tuning.client import TOKEN_ENV, Connection, FineTuningClient
from ftstack.fine_tuning.errors import FineTuningError
from ftstack.fine_tuning.models import ACTIVE_STATES, JobSpec
from ftstack.fine_tuning.runtime import Pacing, Runtime

pytestmark = pytest.mark.e2e

TOKEN = "matrix-token"
# The client gives up on an answer after REQUEST_TIMEOUT s and looks for a lost create for WINDOW s; the
# window exceeds the longest lag, as the production window (the 120 s request timeout) exceeds the
# service's backlog.
REQUEST_TIMEOUT = 2.0
WINDOW = 6.5
TIME_SCALE = 300.0
LAGS = (0.3, 1.5, 5.0)
RUNS_PER_STEP = 4
WORKERS = 28

# Every route the provider calls: the seven the issue names, and the file list and model reads it also
# makes. `*` matches across `/`: "job get" also covers the job's events and checkpoints.
ROUTES = {
    "upload": "POST /files",
    "file status": "GET /files/*",
    "job create": "POST /fine_tuning/jobs",
    "job list": "GET /fine_tuning/jobs",
    "job get": "GET /fine_tuning/jobs/*",
    "cancel": "POST /fine_tuning/jobs/*/cancel",
    "delete": "DELETE /files/*",
    "file list": "GET /files",
    "model": "GET /models*",
}
# Where a lost answer leaves the provider guessing (is the file stored? the job created?): there it is also
# killed while it looks, and re-run.
KILLED = ("upload", "job create")
BEFORE = ("429", "500", "503", "drop")
AFTER = ("drop_after", "500_after", "503_after", "slow")


class Killed(BaseException):
    """The provider process dies here (a BaseException: no clean-up handler runs, as under SIGKILL)."""


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: a fault kind on a route, its lag, and whether the provider is killed."""

    kind: str
    route: str
    lag: float | None = None
    kill: bool = False

    def rule(self) -> dict[str, Any]:
        """The emulator fault rule of this case (it fires once)."""
        rule: dict[str, Any] = {"route": ROUTES[self.route], "kind": self.kind, "retry_after": 1}
        if self.kind == "slow":
            # Answered after the client gave up, and processed `lag` seconds after that.
            rule["delay"] = REQUEST_TIMEOUT + (self.lag or 0.0)
        elif self.lag is not None:
            rule["lag"] = self.lag
        return rule

    def __str__(self) -> str:
        lag = "" if self.lag is None else f" lag {self.lag:g}s"
        return f"{self.kind} on {self.route}{lag}{' + kill' if self.kill else ''}"


def matrix() -> list[Case]:
    """Every case: the kinds that fire before the route on every route, the kinds that process first on
    every route at every lag, a failing job, and a kill while a lost upload or create is looked for."""
    cases = [Case(kind, route) for kind in BEFORE for route in ROUTES]
    cases += [Case(kind, route, lag) for kind in AFTER for route in ROUTES for lag in LAGS]
    cases.append(Case("job_fail", "job create"))
    cases += [Case(kind, route, lag, kill=True) for kind in AFTER for route in KILLED for lag in LAGS]
    return cases


@dataclass
class Outcome:
    """What the emulator shows after one case, and what went wrong."""

    case: Case
    duplicate_jobs: int = 0
    orphan_files: int = 0
    deleted_under_live_job: int = 0
    wrong_states: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # A fault that never fired would make its case pass whatever the provider does.
    fault_fired: bool = False
    runs: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing was billed twice, left behind or broken."""
        return not (
            self.duplicate_jobs
            or self.orphan_files
            or self.deleted_under_live_job
            or self.wrong_states
            or self.failures
            or not self.fault_fired
        )


class Account:
    """An emulator for one case, its admin calls and a provider client with short timeouts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = FineTuningClient(Connection(endpoint=url, timeout=REQUEST_TIMEOUT))

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call an `/emulator/...` admin route."""
        answer = httpx.request(method, self.url + path, json=body, headers={"api-key": TOKEN}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def fired(self) -> bool:
        """True once the case's fault has fired."""
        return any(
            f["fired"] and f["kind"] != "fail_on_deleted_file"
            for f in self.admin("GET", "/emulator/faults")["faults"]
        )

    def settle(self) -> None:
        """Wait until every request the service still had to process late has been processed."""
        deadline = time.monotonic() + 20
        while self.admin("GET", "/emulator/faults")["late"] and time.monotonic() < deadline:
            time.sleep(0.1)


def runtime(kill_when: Callable[[], bool] | None = None) -> Runtime:
    """A fast-polling runtime; with `kill_when`, the process dies at the first pause once it is true."""
    armed = [kill_when]

    def sleep(seconds: float) -> None:
        check = armed[0]
        if check is not None and check():
            armed[0] = None
            raise Killed
        time.sleep(seconds)

    return Runtime(pacing=Pacing(first=0.05, factor=1.5, longest=0.3), adoption_window=WINDOW, sleep=sleep)


def until_done(
    outcome: Outcome, step: str, action: Callable[[Runtime], object], kill: Callable[[], bool] | None
) -> object:
    """Run one provider step, re-running it after a failure or a kill, as a user re-runs the update."""
    last: BaseException | None = None
    for attempt in range(RUNS_PER_STEP):
        outcome.runs += 1
        try:
            return action(runtime(kill if attempt == 0 else None))
        except (Killed, FineTuningError) as error:
            last = error
    outcome.failures.append(f"{step}: still failing after {RUNS_PER_STEP} runs: {str(last)[:300]}")
    return None


def spec(url: str, name: str, **overrides: Any) -> JobSpec:
    """The JobSpec of a small job on the example data."""
    return inputs.spec_from_props(job_props(url, name=name, **overrides))


def trained_hyperparameters(case: Case) -> dict[str, int]:
    """A job that trains in about a second; after a kill mid-upload one that trains for about 7 s, longer
    than the 5 s lag. The upload the killed attempt lost is then stored while the re-run's job trains, and
    found as an extra copy on a poll, as on Azure, where a job trains for far longer than any backlog
    (its files' validation alone takes minutes)."""
    if case.kill and case.route == "upload":
        return {"n_epochs": 20, "batch_size": 1}
    return {"n_epochs": 1, "batch_size": 4}


def run_case(case: Case) -> Outcome:
    """Train, replace-and-delete, and destroy under the case's fault; count what the emulator shows."""
    outcome = Outcome(case)
    # A standing switch: deleting a file under a pending job fails that job (so the harm shows).
    switch = {"route": "*", "kind": "fail_on_deleted_file", "times": None}
    # francecentral trains gpt-4.1-mini globally, as the example job asks.
    with running_emulator(region="francecentral", time_scale=TIME_SCALE, token=TOKEN) as url:
        account = Account(url)
        account.admin("POST", "/emulator/faults", [switch, case.rule()])
        kill = account.fired if case.kill else None
        trained = spec(url, "trained", hyperparameters=trained_hyperparameters(case))
        cancelled = spec(url, "cancelled", wait=False, hyperparameters={"n_epochs": 50, "batch_size": 1})
        service = account.client
        state = until_done(outcome, "create", lambda rt: lifecycle.create(service, trained, rt), kill)
        second = until_done(
            outcome, "create (no wait)", lambda rt: lifecycle.create(service, cancelled, rt), None
        )
        if second is not None:
            ids = [second.job_id]  # type: ignore[attr-defined]
            until_done(
                outcome,
                "delete while training",
                lambda rt: lifecycle.cancel_and_clean(service, cancelled, ids[0], [], rt),
                None,
            )
        if state is not None:
            first = state.job_id  # type: ignore[attr-defined]
            until_done(
                outcome,
                "delete",
                lambda rt: lifecycle.cancel_and_clean(service, trained, first, [], rt),
                None,
            )
        account.settle()
        _count(account, outcome, trained, cancelled)
        service.close()
    return outcome


def _count(account: Account, outcome: Outcome, trained: JobSpec, cancelled: JobSpec) -> None:
    outcome.fault_fired = account.fired()
    jobs = account.client.list_jobs()
    for job_spec, ends_as in ((trained, "succeeded"), (cancelled, "cancelled")):
        mine = [j for j in jobs if (j.get("metadata") or {}).get(KEY_TAG) == job_spec.adoption_key]
        # A job the service itself failed (the `job_fail` case) is not billed; its re-run is no duplicate.
        billed = [j for j in mine if j.get("status") != "failed" or outcome.case.kind != "job_fail"]
        outcome.duplicate_jobs += max(0, len(billed) - 1)
        states = sorted(str(j.get("status")) for j in billed)
        if states != [ends_as]:
            outcome.wrong_states.append(f"{job_spec.resource_name}: {states}, expected [{ends_as}]")
    live = [j["id"] for j in jobs if j.get("status") in ACTIVE_STATES]
    if live:
        outcome.wrong_states.append(f"jobs still live after delete: {live}")
    outcome.orphan_files = sum(
        1 for f in account.client.list_files() if str(f.get("filename", "")).startswith("ftstack-")
    )
    outcome.deleted_under_live_job = int(
        account.admin("GET", "/emulator/stats")["files_deleted_under_live_jobs"]
    )


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The bearer token every client of the matrix presents."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    yield


def test_no_fault_on_any_route_makes_a_duplicate_job_an_orphan_file_or_deletes_a_file_under_a_live_job(
    token: None,
) -> None:
    cases = matrix()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(WORKERS, (os.cpu_count() or 2) * 14)) as pool:
        outcomes = list(pool.map(run_case, cases))
    elapsed = time.monotonic() - started

    totals = Counter(
        {
            "cases": len(outcomes),
            "provider runs": sum(o.runs for o in outcomes),
            "duplicate jobs": sum(o.duplicate_jobs for o in outcomes),
            "orphan files": sum(o.orphan_files for o in outcomes),
            "files deleted under a live job": sum(o.deleted_under_live_job for o in outcomes),
            "cases with wrong final states": sum(1 for o in outcomes if o.wrong_states),
            "cases that did not finish": sum(1 for o in outcomes if o.failures),
            "cases whose fault never fired": sum(1 for o in outcomes if not o.fault_fired),
        }
    )
    print(
        f"\nfault matrix: {len(cases)} cases in {elapsed:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in totals.items())
    )
    dirty = [o for o in outcomes if not o.clean]
    assert not dirty, "\n".join(
        f"{o.case}: duplicates {o.duplicate_jobs}, orphans {o.orphan_files}, deleted under live "
        f"{o.deleted_under_live_job}, states {o.wrong_states}, failures {o.failures}, "
        f"fault fired {o.fault_fired}"
        for o in dirty
    )
    assert totals["provider runs"] >= 4 * len(cases)
