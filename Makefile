# WeiBao: `make run` installs, initialises and serves; `make test` runs the whole suite
# (ruff, mypy over weibao/ as configured in pyproject.toml, then pytest).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test lint eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# torch goes in first and pinned: the CPU build lies on the machine's disk, while an
# unpinned torch would pull a CUDA build of several GB.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
	@# PDF service reports embed this CJK font (Debian's fonts-noto-cjk, as .ci/run installs it).
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || test -n "$$WEIBAO_REPORT_FONT" \
		|| echo "note: PDF reports need a CJK font: apt-get install fonts-noto-cjk (or set WEIBAO_REPORT_FONT)"

run: install
	$(BIN)/weibao init
	$(BIN)/weibao serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check weibao tests bench
	$(BIN)/mypy
	@# Two processes; each test file whole on one of them, the pg_crowd files together, long ones first (tests/scheduling.py).
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check weibao tests bench
	$(BIN)/mypy

eval: install
	$(BIN)/weibao eval

clean:
	rm -rf var .pytest_cache
