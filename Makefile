# vtp: set-up, main job and tests. Every target is idempotent and works in a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEMO_CONFIG := configs/pretrain/moving_shapes.py
DEMO_DATA := data/moving_shapes
DEMO_WORK_DIR := work_dirs/moving_shapes

.PHONY: install demo test lint clean

install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/no_deps.txt requirements/tests.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install torch==2.13.0
	$(PIP) install -r requirements/runtime.txt -r requirements/tests.txt
	$(PIP) install --no-deps -r requirements/no_deps.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(DEMO_DATA)/train.csv: | $(STAMP)
	$(PY) tools/data/moving_shapes/generate.py --out-dir $(DEMO_DATA)

# Pre-train (evaluating at the end), then re-evaluate the saved checkpoint with tools/test.py.
demo: $(STAMP) $(DEMO_DATA)/train.csv
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	$(PY) tools/test.py $(DEMO_CONFIG) "$$(cat $(DEMO_WORK_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_WORK_DIR)/test --out $(DEMO_WORK_DIR)/test_metrics.json

lint: $(STAMP)
	$(PY) -m ruff check vtp tools tests configs setup.py

test: lint
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) $(DEMO_WORK_DIR)
