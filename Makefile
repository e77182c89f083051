# Duet: two commands for a fresh machine.
#   make run    install what the server needs and run it on the embedded default (http://127.0.0.1:8000)
#   make test   install what the tests need and run the whole suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export DUET_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export DUET_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test setup-run setup-test venv venv-test web run-packages test-packages runtime docker-engine check format clean bench-exec bench-sync bench-recording bench-hostile bench-playback bench-scoring bench-media bench-deps chaos chaos-packages

run: setup-run
	$(VENV)/bin/duet serve

test: setup-test
	scripts/test

setup-run: run-packages venv web runtime
setup-test: test-packages venv-test web docker-engine runtime bench-deps

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	scripts/python-env "$(VENV)" .
	touch $@

venv-test: $(VENV)/.installed-test
$(VENV)/.installed-test: pyproject.toml
	scripts/python-env "$(VENV)" '.[test]'
	touch $@ $(VENV)/.installed

web: node_modules/.installed static/dist/.built
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
static/dist/.built: node_modules/.installed $(wildcard web-src/*.ts web-src/**/*.ts web-src/*.mjs)
	npm run -s build
	touch $@

run-packages:
	scripts/system-packages bubblewrap debootstrap libseccomp2

test-packages:
	scripts/system-packages bubblewrap debootstrap libseccomp2 docker.io crun chromium haproxy redis-server python3-pytest

# The language runtimes: one Debian rootfs, built once and cached by content under ~/.cache/duet.
runtime: venv
	scripts/runtime-rootfs

docker-engine:
	scripts/docker-engine

check:
	scripts/check

# Benchmarks (see docs/benchmarks.md): each rewrites its own section of that page.
bench-exec: setup-test
	PYTHONPATH=. $(PY) -m bench.exec_bench

bench-sync: setup-test bench-deps
	PYTHONPATH=. $(PY) -m bench.sync_bench

# What full recording (cursors, joins) costs the live pad against recording the edits only.
bench-recording: setup-test bench-deps
	PYTHONPATH=. $(PY) -m bench.sync_bench --parts recording

# Playback on a generated two-hour session, SQLite and PostgreSQL (DUET_TEST_DATABASE_URL).
bench-scoring: setup-test
	PYTHONPATH=. $(PY) -m bench.scoring_bench

bench-playback: venv-test
	PYTHONPATH=. $(PY) -m bench.playback_bench --postgres

# Duet against itself before the hostile-participant checks: their cost, and what attacks cost.
bench-media: venv-test
	PYTHONPATH=. $(PY) -m bench.media_bench

bench-hostile: setup-test bench-deps
	PYTHONPATH=. $(PY) -m bench.hostile_bench

# The cluster under faults (docs/reliability.md): its own PostgreSQL, Redis and HAProxy, three
# nodes, two workers, five minutes of kills; rewrites the results in docs/reliability.md.
chaos: setup-test chaos-packages
	PYTHONPATH=. $(PY) -m bench.chaos --write

chaos-packages:
	scripts/system-packages haproxy redis-server postgresql

# The anchors (@y/websocket-server, Hocuspocus) and the Yjs load generator, pinned in bench/sync.
bench-deps: bench/sync/node_modules/.installed
bench/sync/node_modules/.installed: bench/sync/package.json bench/sync/package-lock.json
	npm ci --prefix bench/sync --no-audit --no-fund
	touch $@

format:
	$(VENV)/bin/ruff format server tests bench
	$(VENV)/bin/ruff check --fix server tests bench
	npm run -s format

clean:
	rm -rf $(VENV) node_modules static/dist .coverage* htmlcov
