# The two commands of the README: `make run` and `make test`.
.PHONY: run test bench lint screenshots clean

run:
	scripts/bootstrap run
	.venv/bin/python make_table.py --if-empty
	.venv/bin/python server.py

test:
	scripts/test

bench:
	scripts/bootstrap test
	.venv/bin/python -m bench

# Refreshes the README's images in docs/screenshots (tests write theirs to a temporary folder).
screenshots:
	scripts/bootstrap test
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots .venv/bin/pytest tests/e2e/test_screenshots.py -q

lint:
	.venv/bin/ruff check . && .venv/bin/mypy -p chatroom -p chatroom_client

clean:
	rm -rf .venv frontend/node_modules frontend/dist instance .pytest_cache .mypy_cache .ruff_cache
