# nncourse: two commands.
#   make lab    set up (first time only), copy the notebooks into your workspace/ (first time; later
#               only new versions of what you never changed) and open it in JupyterLab
#   make test   set up (first time only) and run every test: unit tests, strict nbval, exercises
# Authors: `make lab-authors` opens the tracked notebooks themselves (notebooks/, exercises/, solutions/).
# For contributors (docs/AUTHORING.md):
#   make lint          ruff (lint and format check) and mypy; CI runs it before the tests
#   make constraints   regenerate constraints.txt from a fresh resolve (CONSTRAINTS_PYTHONS)
#
# Set-up creates .venv with the interpreter in $(PYTHON) and installs the course in editable mode.
# The torch build is pinned in constraints.txt. To force PyTorch's CPU-only wheels on a machine
# where pip would pick a CUDA build, pass their index, e.g.
#   make lab TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nncourse-installed
TORCH_PIP_ARGS ?=
PYTEST_ARGS ?=
TORCH_VERSION := 2.13.0
# Interpreters `make constraints` resolves for; pins that differ between them get python_version markers.
CONSTRAINTS_PYTHONS ?= $(PYTHON)
LINT_PATHS := nncourse tests benchmarks .ci
LAB_ARGS ?=
WORKSPACE ?= workspace
# JupyterLab settings the course's environment uses (the news pop-up off): labconfig/overrides.json
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# JupyterLab refuses to run as root unless told; only add the flag when we are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: lab lab-authors workspace progress test setup lint constraints doctor release refresh benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt $(TORCH_PIP_ARGS) torch
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,lint]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nncourse)" >/dev/null
	@touch $(STAMP)

$(LAB_SETTINGS): labconfig/overrides.json | $(STAMP)
	@mkdir -p $(dir $@)
	@cp labconfig/overrides.json $@

workspace: $(STAMP)
	$(BIN)/nncourse workspace --path $(WORKSPACE)

lab: $(STAMP) $(LAB_SETTINGS)
	@$(BIN)/nncourse workspace --quiet --path $(WORKSPACE)
	$(BIN)/jupyter lab --notebook-dir=$(WORKSPACE) $(ROOT_FLAG) $(LAB_ARGS)

lab-authors: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)

progress: $(STAMP)
	$(BIN)/nncourse progress --workspace $(WORKSPACE)

# pytest exit code 5 means "no tests collected": report it as a failure with a clear message.
test: $(STAMP)
	@$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy nncourse

# A fresh resolve in temporary venvs (torch first, then the course with its test and lint extras),
# frozen, merged over CONSTRAINTS_PYTHONS and checked; see .ci/constraints.py.
constraints:
	$(PYTHON) .ci/constraints.py --torch $(TORCH_VERSION) --torch-pip-args "$(TORCH_PIP_ARGS)" \
		$(foreach py,$(CONSTRAINTS_PYTHONS),--python $(py))

doctor: $(STAMP)
	$(BIN)/nncourse doctor

release: $(STAMP)
	$(BIN)/nncourse release

refresh: $(STAMP)
	$(BIN)/nncourse refresh

benchmark: $(STAMP)
	$(BIN)/python benchmarks/notebook_times.py --update-readme

clean:
	rm -rf $(VENV) build *.egg-info
