# Two commands do everything on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean samples

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "make: need $(PY) (set PY=python3 to use another 3.11+)"; exit 1; }
	$(PY) -m venv $(VENV)

# A machine whose pip.conf names local package folders that do not exist makes pip warn once
# per package ("Location 'file:///…' is ignored"): noise, not a problem, so it is kept off the
# screen; pip's exit status is kept.
PIP_QUIET = 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

$(STAMP): $(BIN)/python pyproject.toml
	@echo "$(BIN)/pip install --upgrade pip"
	@{ $(BIN)/pip install --quiet --upgrade pip; echo $$? > $(VENV)/.rc; } $(PIP_QUIET); exit $$(cat $(VENV)/.rc)
	@# setuptools' note on editable installs is information, not a problem: keep it off the screen
	@echo "$(BIN)/pip install -e '.[dev]'"
	@{ PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[dev]'; echo $$? > $(VENV)/.rc; } $(PIP_QUIET); exit $$(cat $(VENV)/.rc)
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install perfaudit (leaves .venv/bin/perfaudit)
	@$(BIN)/perfaudit --version

demo: $(STAMP)  ## run the nightly job on samples/ and say where the findings are
	rm -rf demo-out/inbox && mkdir -p demo-out/inbox && cp samples/*.pdf samples/errors/*.pdf demo-out/inbox/
	cp samples/inputs/jiangqiao_2024.xlsx samples/inputs/seed_5_fuxujin_phone.jpg demo-out/inbox/
	$(BIN)/perfaudit run demo-out/inbox --out demo-out --settle 0
	@echo
	@echo "Findings:  $(CURDIR)/demo-out/findings.csv  (and findings.xlsx)"
	@echo "Forms:     $(CURDIR)/demo-out/forms.jsonl, forms.csv"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint  ## lint, then the whole test suite (no tests collected is a failure)
	@$(BIN)/python -m pytest -q; code=$$?; \
	if [ $$code -eq 5 ]; then echo "make: pytest collected no tests" >&2; exit 1; fi; exit $$code

bench: $(STAMP)  ## benchmarks (never part of `make test`)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/bench_families.py --naive  # scans per degradation family and dpi
	$(BIN)/pip install --quiet -e '.[dev,bench]' $(PIP_QUIET)
	$(BIN)/python bench/text_engines.py  # text path vs pdfplumber, camelot: pages/s, peak RSS
	$(BIN)/python bench/profile_extract.py --repeat 3  # both paths next to their baselines, RSS per worker

samples:  ## rebuild samples/ (needs LibreOffice: apt-get install libreoffice-writer-nogui fonts-noto-cjk)
	$(BIN)/pip install --quiet -e '.[dev,samples]'
	$(BIN)/python samples/build_samples.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
