# Each target bootstraps .venv from uv.lock on a fresh machine (only Python 3.11 and the registries needed).
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ftstack-synced
export UV_PYTHON_DOWNLOADS := never

# `toolchain: uv` in Pulumi.yaml calls the `uv` executable: put the one bootstrapped above on PATH.
WITH_UV = PATH="$$(dirname "$$($(PYTHON) -c 'import uv; print(uv.find_uv_bin())')"):$$PATH"

.PHONY: demo test lint bench venv pulumi audit

venv: $(STAMP)

# The real Pulumi CLI: a compatible one on PATH, else built once from the Go module proxy (cached).
pulumi: $(STAMP)
	@bash scripts/get-pulumi.sh >/dev/null || echo "make: no Pulumi CLI and no Go: the real-engine tests and the demo's local deployment need one of them" >&2

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv || $(PYTHON) -m pip install --quiet --user uv
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

demo: pulumi
	$(WITH_UV) $(BIN)/python scripts/demo.py

# Two workers, whole files each: a real-engine test file is one sequence on its own local Azure.
test: pulumi
	$(WITH_UV) $(BIN)/pytest -q -m "not benchmark" -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `make bench BENCH_ARGS=--keep` keeps the generated data.
bench: $(STAMP)
	$(BIN)/python scripts/bench_validate.py $(BENCH_ARGS)
	$(BIN)/python scripts/bench_check.py

# pip-audit against every package in uv.lock; exit 3 with one clear line when no vulnerability database
# can be reached (pip-audit alone would print "No known vulnerabilities found" having audited nothing).
audit: $(STAMP)
	@$(UV) export --frozen --all-groups --no-emit-project --no-header --quiet --format requirements-txt \
		--output-file $(VENV)/audit-requirements.txt
	$(BIN)/python scripts/audit_lock.py $(VENV)/audit-requirements.txt
