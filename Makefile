# The two commands of the README: `make run` and `make test`.
.PHONY: run test bench lint clean

run:
	scripts/bootstrap run
	.venv/bin/python make_table.py --if-empty
	.venv/bin/python server.py

test:
	scripts/test

bench:
	scripts/bootstrap test
	.venv/bin/python -m bench

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

clean:
	rm -rf .venv frontend/node_modules frontend/dist instance .pytest_cache .mypy_cache .ruff_cache
