"""Parse `ftstack:environment` and check it against the capability matrix; every problem at once.

Residency is not checked here: it is policy (the policy pack), so a config that is possible but not
compliant is valid here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ftstack.catalog import (
    CapabilityOverride,
    CatalogError,
    ModelRow,
    TrainingType,
    load_matrix,
)
from ftstack.catalog.deployment_types import load_deployment_types
from ftstack.config.account_rules import key_problems
from ftstack.config.image_content import has_image_content
from ftstack.config.job_rules import wait_problems
from ftstack.config.network_rules import dns_zone_problems
from ftstack.config.problems import ConfigError, ConfigProblem, join_path, quote_value
from ftstack.config.schema import DeploymentConfig, EnvironmentConfig, JobConfig


def parse_environment(
    raw: object, *, source: str | None = None, project_dir: Path | None = None
) -> EnvironmentConfig:
    """The validated environment config; ConfigError listing every problem otherwise.

    `project_dir` resolves data file paths; when given, missing files are problems too.
    """
    if not isinstance(raw, dict):
        raise ConfigError(
            [
                ConfigProblem(
                    "", f"must be an object with the sections of the stack config, got {quote_value(raw)}"
                )
            ],
            source,
        )
    try:
        env = EnvironmentConfig.model_validate(raw)
    except ValidationError as exc:
        problems = _structural_problems(exc)
        problems += _capability_problems_of_raw(raw, project_dir)
        raise ConfigError(_dedupe(problems), source) from None
    problems = capability_problems(env, project_dir)
    if problems:
        raise ConfigError(problems, source)
    _normalise_regions(env)
    return env


def _normalise_regions(env: EnvironmentConfig) -> None:
    """Every region the stack names, in its ARM spelling: ARM receives `swedencentral`, never
    `Sweden Central ` with a trailing or no-break space (validation has already refused unknown names)."""
    regions = load_matrix().regions
    env.account.region = regions.get(env.account.region).name
    endpoint = env.network.private_endpoint
    if endpoint is not None and endpoint.region is not None:
        endpoint.region = regions.get(endpoint.region).name
    for override in env.capability_overrides:
        override.region = regions.get(override.region).name


def job_has_images(job: JobConfig, project_dir: Path | None) -> bool:
    """True when the job is a vision job: its `vision` flag, or an image in its training or validation file."""
    if job.vision:
        return True
    if project_dir is None:
        return False
    files = (job.training_file, job.validation_file)
    return any(has_image_content(project_dir / name) for name in files if name is not None)


def capability_overrides(env: EnvironmentConfig) -> list[CapabilityOverride]:
    """The stack's explicit matrix overrides, as catalog objects."""
    return [
        CapabilityOverride(o.model, o.version, o.region, TrainingType(o.training), o.justification)
        for o in env.capability_overrides
    ]


def capability_problems(env: EnvironmentConfig, project_dir: Path | None = None) -> list[ConfigProblem]:
    """Problems of a structurally valid config against the matrix and the stack's own references."""
    matrix = load_matrix()
    problems: list[ConfigProblem] = []
    region_ok = _check_region(env.account.region, "account.region", problems)
    if env.network.private_endpoint and env.network.private_endpoint.region:
        _check_region(env.network.private_endpoint.region, "network.privateEndpoint.region", problems)
    for geo_index, geography in enumerate(env.residency.allowed_geographies):
        if not matrix.regions.is_geography(geography):
            problems.append(
                ConfigProblem(
                    join_path("residency", "allowedGeographies", geo_index),
                    f"{geography!r} is not a known geography; known: {', '.join(sorted(matrix.regions.geographies))}",
                )
            )
    for index, override in enumerate(env.capability_overrides):
        path = join_path("capabilityOverrides", index)
        try:
            matrix.row(override.model, override.version)
            matrix.regions.get(override.region)
        except CatalogError as exc:
            problems.append(ConfigProblem(path, str(exc)))
    known_models = matrix.model_names()
    for index, model in enumerate(env.residency.allowed_base_models):
        if model.strip().lower() not in known_models:
            problems.append(
                ConfigProblem(
                    join_path("residency", "allowedBaseModels", index),
                    f"{model!r} is not a model the matrix lists; models: {', '.join(known_models)}",
                )
            )
    overrides = capability_overrides(env)
    job_names: dict[str, int] = {}
    for index, job in enumerate(env.fine_tuning.jobs):
        if job.name in job_names:
            problems.append(
                ConfigProblem(
                    join_path("fineTuning", "jobs", index, "name"), f"duplicate job name {job.name!r}"
                )
            )
        job_names[job.name] = index
        problems += _job_problems(
            job, index, env.account.region if region_ok else None, overrides, project_dir
        )
    # A deployment of a job refused here would only repeat the job's problem.
    refused_jobs = {
        job.name
        for i, job in enumerate(env.fine_tuning.jobs)
        if any(p.path.startswith(f"{join_path('fineTuning', 'jobs', i)}.") for p in problems)
    }
    deployment_names: set[str] = set()
    for index, deployment in enumerate(env.deployments):
        if deployment.name in deployment_names:
            problems.append(
                ConfigProblem(
                    join_path("deployments", index, "name"), f"duplicate deployment {deployment.name!r}"
                )
            )
        deployment_names.add(deployment.name)
        problems += _model_ref_problems(env, index)
        if region_ok and deployment.model.job not in refused_jobs:
            row = served_base(env, deployment)
            path = join_path("deployments", index)
            sku = deployment_sku_problem(deployment, row, env.account.region, path, overrides)
            problems += [sku] if sku is not None else []
    # What a first real deploy needs: each rule lives in its own module.
    problems += wait_problems(env) + key_problems(env) + dns_zone_problems(env)
    return problems


def served_base(env: EnvironmentConfig, deployment: DeploymentConfig) -> ModelRow | None:
    """The base model row of what a deployment serves: its job's (or experiment's), or the one an explicit
    fine-tuned model id starts with; None when it cannot be told."""
    ref = deployment.model
    matrix = load_matrix()
    if ref.fine_tuned_model is not None:
        return next(
            (r for r in matrix.rows if ref.fine_tuned_model.startswith(f"{r.azure_base_model}.")), None
        )
    if ref.job is not None:
        job = next((j for j in env.fine_tuning.jobs if j.name == ref.job), None)
    else:
        job = next((j for j in env.fine_tuning.jobs if j.experiment_name == ref.experiment), None)
    if job is None:
        return None
    try:
        return matrix.resolve_row(
            job.base_model, job.version, env.account.region, TrainingType(job.training_type), job.vision
        )
    except CatalogError:
        return None  # the job's own problem is reported at its key


def deployment_sku_problem(
    deployment: DeploymentConfig,
    base: ModelRow | None,
    region: str,
    path: str,
    overrides: list[CapabilityOverride] | tuple[CapabilityOverride, ...] = (),
) -> ConfigProblem | None:
    """A problem when fine-tuned `base` models cannot be deployed with the deployment's SKU in `region`.

    A stack's standard-training override for the model in `region` also vouches for Standard (regional)
    deployments there: the justified region serves the model.
    """
    if base is None:
        return None
    decision = load_deployment_types().check(deployment.sku, base.model, base.version, region)
    if decision.allowed:
        return None
    where = load_matrix().regions.get(region).name
    for override in overrides:
        if (
            deployment.sku == "Standard"
            and override.training is TrainingType.STANDARD
            and (override.model, override.version) == (base.model, base.version)
            and load_matrix().regions.get(override.region).name == where
        ):
            return None
    return ConfigProblem(f"{path}.sku", decision.message)


def _model_ref_problems(env: EnvironmentConfig, index: int) -> list[ConfigProblem]:
    """A deployment's model must name a plain job or an experiment of this stack."""
    ref = env.deployments[index].model
    plain = [j.name for j in env.fine_tuning.jobs if j.experiment is None]
    experiments = [j.experiment_name for j in env.fine_tuning.jobs if j.experiment_name]
    if ref.job is not None and ref.job not in plain:
        if ref.job in [j.name for j in env.fine_tuning.jobs]:
            message = f"{ref.job!r} is an experiment; select its best point with experiment: {ref.job}"
        else:
            message = f"{ref.job!r} is not a job of this stack; jobs: {', '.join(plain) or 'none declared'}"
        return [ConfigProblem(join_path("deployments", index, "model", "job"), message)]
    if ref.experiment is not None and ref.experiment not in experiments:
        known = ", ".join(str(e) for e in experiments) or "none declared"
        return [
            ConfigProblem(
                join_path("deployments", index, "model", "experiment"),
                f"{ref.experiment!r} is not an experiment of this stack; experiments: {known}",
            )
        ]
    return []


def _check_region(name: str, path: str, problems: list[ConfigProblem]) -> bool:
    try:
        load_matrix().regions.get(name)
    except CatalogError as exc:
        problems.append(ConfigProblem(path, str(exc)))
        return False
    return True


def _job_problems(
    job: JobConfig,
    index: int,
    region: str | None,
    overrides: list[CapabilityOverride],
    project_dir: Path | None,
) -> list[ConfigProblem]:
    matrix = load_matrix()
    base = ("fineTuning", "jobs", index)
    problems: list[ConfigProblem] = []
    training = TrainingType(job.training_type)
    vision = job_has_images(job, project_dir)
    try:
        row = matrix.resolve_row(job.base_model, job.version, region, training, vision)
    except CatalogError as exc:
        field = (
            "version" if job.version is not None and job.base_model in matrix.model_names() else "baseModel"
        )
        problems.append(ConfigProblem(join_path(*base, field), str(exc)))
        return problems
    if job.method.type not in row.methods:
        problems.append(
            ConfigProblem(
                join_path(*base, "method", "type"),
                f"{job.method.type!r}: {row.label} supports {', '.join(row.methods)}",
            )
        )
    if region is not None:
        decision = matrix.check(row.model, row.version, region, training, vision, overrides)
        if not decision.allowed:
            field = "vision" if job.vision and not row.vision else "baseModel"
            if vision and not job.vision:
                # The flag says text-only, the data says otherwise: say which, so the fix is clear.
                decision_reasons = "; ".join(decision.reasons)
                problems.append(
                    ConfigProblem(
                        join_path(*base, "trainingFile"),
                        f"the job's data holds images (an image_url content part), so it is vision training: "
                        f"{decision_reasons}.",
                    )
                )
                return problems
            other = TrainingType.GLOBAL if training is TrainingType.STANDARD else TrainingType.STANDARD
            elsewhere = decision.alternatives[other]
            hint = (
                f"{other.value} training is available in {', '.join(elsewhere)}"
                if elsewhere
                else f"{other.value} training is not offered for this model"
            )
            problems.append(ConfigProblem(join_path(*base, field), f"{'; '.join(decision.reasons)}; {hint}."))
    if project_dir is not None and job.experiment is not None and (project_dir / job.training_file).is_file():
        problems += _experiment_problems(job, index, project_dir / job.training_file)
    if project_dir is not None:
        for field, value in (("trainingFile", job.training_file), ("validationFile", job.validation_file)):
            if value is not None and not _inside(project_dir, value):
                problems.append(
                    ConfigProblem(
                        join_path(*base, field),
                        f"{quote_value(value)} leads outside the project folder (through a symbolic link); "
                        "keep the data file inside the project",
                    )
                )
            elif value is not None and not (project_dir / value).is_file():
                problems.append(
                    ConfigProblem(
                        join_path(*base, field),
                        f"{value!r}: no such file (paths are relative to the project folder, where Pulumi.yaml is)",
                    )
                )
    return problems


def _inside(project_dir: Path, relative: str) -> bool:
    """True when `relative` (already refused if absolute or with `..`) stays in `project_dir`, links resolved."""
    root = project_dir.resolve()
    try:
        return (root / relative).resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _experiment_problems(job: JobConfig, index: int, training_file: Path) -> list[ConfigProblem]:
    from ftstack.experiments.expansion import expansion_problems
    from ftstack.experiments.subsets import count_examples
    from ftstack.training_data.rules import load_rules

    return expansion_problems(job, index, count_examples(training_file), load_rules().min_examples)


def _capability_problems_of_raw(raw: dict[str, Any], project_dir: Path | None) -> list[ConfigProblem]:
    """Capability problems of the jobs that are valid on their own, so one typo does not hide them."""
    problems: list[ConfigProblem] = []
    account = raw.get("account")
    region = account.get("region") if isinstance(account, dict) else None
    if isinstance(region, str):
        region = region if _check_region(region, "account.region", problems) else None
    else:
        region = None
    fine_tuning = raw.get("fineTuning")
    jobs = fine_tuning.get("jobs") if isinstance(fine_tuning, dict) else None
    if not isinstance(jobs, list):
        return problems
    for index, item in enumerate(jobs):
        try:
            job = JobConfig.model_validate(item)
        except ValidationError:
            continue
        problems += _job_problems(job, index, region, [], project_dir)
    return problems


def _structural_problems(exc: ValidationError) -> list[ConfigProblem]:
    grouped: dict[str, list[str]] = {}
    for error in exc.errors():
        loc, model = _clean_location(error["loc"])
        path = join_path(*loc)
        if error["type"] == "extra_forbidden":
            known = ", ".join(_aliases(model)) if model else ""
            message = f"unknown key {str(loc[-1])!r}" + (f"; known keys here: {known}" if known else "")
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] in ("model_type", "model_attributes_type"):
            # pydantic names the class ("instance of StepSelect"); a user wrote YAML: name its keys.
            shape = _MODELS_BY_NAME.get(str((error.get("ctx") or {}).get("class_name")))
            keys = _aliases(shape) if shape is not None else []
            text = "Input should be a mapping" + (
                f" with the key{'s' if len(keys) > 1 else ''} {', '.join(keys)}" if keys else ""
            )
            message = f"{quote_value(error['input'])}: {text}" if _is_scalar(error.get("input")) else text
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            message = f"{quote_value(error['input'])}: {text}" if _is_scalar(error.get("input")) else text
        seen = grouped.setdefault(path, [])
        if seen and _is_scalar(error.get("input")):
            message = message.removeprefix(f"{quote_value(error['input'])}: ")
        if message not in seen:
            seen.append(message)
    return [ConfigProblem(path, "; or ".join(messages)) for path, messages in grouped.items()]


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _clean_location(loc: tuple[int | str, ...]) -> tuple[list[str | int], type[BaseModel] | None]:
    """Drop pydantic's union-member tags from an error location; return the path and the innermost model."""
    model: type[BaseModel] | None = EnvironmentConfig
    out: list[str | int] = []
    for position, part in enumerate(loc):
        if isinstance(part, int):
            out.append(part)
        elif model is not None and part in _aliases(model):
            out.append(part)
            model = _field_model(model, part)
        elif position == len(loc) - 1 and not _is_union_tag(part):
            out.append(part)  # an unknown key
        else:
            tagged = _MODELS_BY_NAME.get(part)
            model = tagged or model
    return out, model


def _is_union_tag(part: str) -> bool:
    return (
        part in _MODELS_BY_NAME
        or part in ("int", "float", "str", "bool")
        or part.startswith(("literal[", "function-"))
    )


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_model(model: type[BaseModel], alias: str) -> type[BaseModel] | None:
    for name, field in model.model_fields.items():
        if (field.alias or name) == alias:
            return _model_in(field.annotation)
    return None


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _all_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    found = {model.__name__: model}
    for field in model.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg.__name__ not in found:
                found |= _all_models(arg)
    return found


def _flatten(annotation: object) -> list[object]:
    args = get_args(annotation)
    return [annotation] if not args else [a for arg in args for a in _flatten(arg)]


_MODELS_BY_NAME = _all_models(EnvironmentConfig)


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return list(dict.fromkeys(problems))
