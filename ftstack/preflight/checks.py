"""The comparisons: what the stack asks against what Azure has free, one finding per shortfall."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftstack.catalog.service_limits import ServiceLimits
from ftstack.config.schema import EnvironmentConfig
from ftstack.preflight.alternatives import alternatives_with_room
from ftstack.preflight.demand import DeploymentGroup, StackDemand
from ftstack.preflight.findings import Alternative, Finding, FindingKind, NotChecked
from ftstack.preflight.quota import ACTIVE_JOB_STATES, AccountState
from ftstack.preflight.residency import geographies_text
from ftstack.preflight.room import QuotaView
from ftstack.preflight.usage_names import unit_word, usage_name_candidates

GIB = 1024**3


@dataclass
class Outcome:
    """What the checks found, collected as they run."""

    findings: list[Finding] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    fits: list[str] = field(default_factory=list)


def check_deployments(
    view: QuotaView, env: EnvironmentConfig, demand: StackDemand, account: AccountState, out: Outcome
) -> None:
    """Each group of deployments against its quota and the fine-tune capacity in the account's region."""
    region = demand.region
    for name in demand.unresolved:
        out.not_checked.append(
            NotChecked(subject=f"deployment {name}", reason="its base model cannot be told")
        )
    for group in demand.groups:
        room = view.room(group.sku, group.base, region)
        subject = f"{group.label} in {region}"
        if room.usage is None:
            names = " or ".join(usage_name_candidates(group.sku, group.base.model))
            out.not_checked.append(
                NotChecked(subject=subject, reason=f"Azure lists no quota named {names} there")
            )
        reused = _reused(group, account)
        asked = group.asked
        unit = unit_word(group.sku)
        short: tuple[FindingKind, float] | None = None
        if room.quota_free is not None and asked > room.quota_free + reused:
            short = ("deployment-quota", room.quota_free + reused)
        elif room.capacity_free is not None and asked > room.capacity_free + reused:
            short = ("deployment-capacity", room.capacity_free + reused)
        if short is None:
            if room.free is not None:
                out.fits.append(f"{subject}: {room.free + reused:g} {unit} free, {asked} asked")
            continue
        kind, free = short
        alternatives = alternatives_with_room(view, env, group, asked)
        usage_name = (
            room.usage.name
            if room.usage is not None
            else usage_name_candidates(group.sku, group.base.model)[-1]
        )
        out.findings.append(
            _deployment_finding(kind, group, region, asked, free, unit, alternatives, env, usage_name)
        )


def _reused(group: DeploymentGroup, account: AccountState) -> int:
    """Capacity the group's deployments already hold on the account (kept, so counted as free again)."""
    names = {d.name for d in group.deployments}
    return sum(d.capacity for d in account.deployments if d.name in names and d.sku == group.sku)


def _deployment_finding(
    kind: FindingKind,
    group: DeploymentGroup,
    region: str,
    asked: int,
    free: float,
    unit: str,
    alternatives: list[Alternative],
    env: EnvironmentConfig,
    usage_name: str,
) -> Finding:
    subject = f"{group.label} in {region}"
    where = ", ".join(f"{a.sku} in {a.region} ({a.free:g} free)" for a in alternatives)
    alt_text = f"allowed alternatives with room: {where or 'none' + geographies_text(env.residency)}"
    lower = int(free)
    fixes = [f"move to {a.sku} in {a.region}" for a in alternatives]
    if lower >= 1:
        target = "capacity" if len(group.deployments) == 1 else "the total capacity of these deployments"
        fixes.append(f"lower {target} to {lower}")
    fixes.append(
        f"request quota for {usage_name} in {region}"
        if kind == "deployment-quota"
        else "try later: fine-tune capacity is shared across the region"
    )
    tail = " or ".join(fixes[len(alternatives) :])
    names = ", ".join(f"{d.name} ({d.capacity})" for d in group.deployments)
    message = f"{subject}: {free:g} {unit} free, {asked} asked (deployments {names}); {alt_text}; {tail}"
    return Finding(
        kind=kind,
        subject=subject,
        asked=asked,
        free=free,
        unit=unit,
        deployments=[d.name for d in group.deployments],
        alternatives=alternatives,
        fixes=fixes,
        message=message,
    )


def check_account_limits(
    limits: ServiceLimits, env: EnvironmentConfig, demand: StackDemand, account: AccountState, out: Outcome
) -> None:
    """Deployments, jobs and files against the per-resource limits (service-limits table), counting what
    the live account already holds when it could be read."""
    subject = f"account {env.account.name}"
    if not account.exists:
        out.fits.append(f"{subject}: not created yet, so it holds no deployments, files or jobs")
    elif account.files is None or account.jobs is None:
        out.not_checked.append(
            NotChecked(subject=f"{subject} files and jobs", reason=account.unreadable or "not read")
        )
    _check_deployment_count(limits, demand, account, subject, out)
    live_files = account.files or []
    live_hashes = {f.filename.rsplit("-", 1)[-1].removesuffix(".jsonl") for f in live_files}
    new_files = [f for f in demand.files if f.sha256 is None or f.sha256 not in live_hashes]
    _limit(
        out,
        "file-count",
        f"{subject} fine-tuning files",
        len(live_files) + len(new_files),
        limits.files,
        "files",
        f"{len(live_files)} on the account and {len(new_files)} to upload",
        ["delete files the account no longer needs", "use fewer experiment subsets"],
    )
    total = sum(f.bytes for f in live_files) + sum(f.bytes for f in new_files)
    _limit(
        out,
        "file-size",
        f"{subject} fine-tuning file size",
        total,
        limits.total_file_bytes,
        "bytes",
        f"{total:,} bytes ({total / GIB:.3f} GiB)",
        ["delete files the account no longer needs", "train on smaller files"],
    )
    live_jobs = account.jobs or []
    active = sum(1 for j in live_jobs if j.status in ACTIVE_JOB_STATES)
    at_once = len(demand.jobs) + active
    _limit(
        out,
        "job-queue",
        f"{subject} jobs running and queued",
        at_once,
        limits.jobs_at_once,
        "jobs",
        f"{len(demand.jobs)} to submit and {active} already running or queued; one resource runs "
        f"{limits.running_jobs} and queues {limits.queued_jobs}",
        [
            f"submit at most {max(0, limits.jobs_at_once - active)} jobs at once (fewer experiment points)",
            "wait for the running jobs to finish",
        ],
    )
    _limit(
        out,
        "job-total",
        f"{subject} training jobs",
        len(live_jobs) + len(demand.jobs),
        limits.training_jobs,
        "jobs",
        f"{len(live_jobs)} on the account and {len(demand.jobs)} to submit",
        ["delete finished jobs the account no longer needs", "use another account"],
    )


def _check_deployment_count(
    limits: ServiceLimits, demand: StackDemand, account: AccountState, subject: str, out: Outcome
) -> None:
    declared = {d.name for g in demand.groups for d in g.deployments} | set(demand.unresolved)
    others = [d for d in account.deployments if d.name not in declared and d.model and ".ft-" in d.model]
    count = len(declared) + len(others)
    _limit(
        out,
        "deployment-count",
        f"{subject} fine-tuned deployments",
        count,
        limits.fine_tuned_deployments,
        "deployments",
        f"{len(declared)} declared and {len(others)} others on the account",
        ["remove deployments", "deploy the extra models on another account"],
    )


def _limit(
    out: Outcome,
    kind: FindingKind,
    subject: str,
    asked: float,
    limit: int,
    unit: str,
    detail: str,
    fixes: list[str],
) -> None:
    if asked <= limit:
        out.fits.append(f"{subject}: {detail}, within the limit of {limit:,} {unit}")
        return
    message = f"{subject}: {asked:g} asked, the limit is {limit:,} {unit} ({detail}); {' or '.join(fixes)}"
    out.findings.append(
        Finding(
            kind=kind,
            subject=subject,
            asked=asked,
            free=float(limit),
            unit=unit,
            fixes=fixes,
            message=message,
        )
    )
