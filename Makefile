# `make demo` and `make test` each create the virtual environment when it is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/cdsvae-eval
DEPS_STAMP := $(VENV)/.deps-$(shell sha256sum pyproject.toml | cut -c1-16)
DEMO_RUN := runs/demo

.PHONY: demo test install

$(DEPS_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.deps-*
	touch $@

install: $(DEPS_STAMP)
	@$(PY) -c "import sys, cdsvae_eval, pathlib; sys.exit(pathlib.Path(cdsvae_eval.__file__).parent != pathlib.Path('$(CURDIR)/cdsvae_eval'))" 2>/dev/null \
		|| $(PY) -m pip install -q --no-deps -e .

test: install
	$(PY) -m pytest -q

# Train the quick preset on flare-sprites, score it with every task that applies, draw its swaps.
demo: install
	$(CLI) train --out $(DEMO_RUN) --force
	$(CLI) probe --task all --checkpoint $(DEMO_RUN) --out $(DEMO_RUN)/probes --random-baseline --force
	$(CLI) sample --checkpoint $(DEMO_RUN) --out $(DEMO_RUN)/swaps.png --force
