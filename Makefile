# tokenhunt — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
BIN     := bin/tokenhunt
FUZZTIME ?= 60s

.PHONY: all build test demo bench fuzz golden vet clean tools

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tokenhunt

# The test suite: unit, golden (executed on DuckDB), differential and corpus
# tests, and the validators of the other targets (installed by `make tools`).
test: tools
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Test-time validators, pinned by their lock files: the Trino grammar of
# dt-sql-parser (Athena), Microsoft's Kusto analyser (KQL) and the BigQuery
# emulator (its own Go module; the first build takes ~15 minutes).
tools: tools/trino/dist/trino.cjs tools/kusto/node_modules/.installed bin/bigquery-emulator

bin/bigquery-emulator: tools/bqemulator/go.mod tools/bqemulator/go.sum
	cd tools/bqemulator && $(GO) build -o ../../bin/bigquery-emulator github.com/goccy/bigquery-emulator/cmd/bigquery-emulator

tools/trino/dist/trino.cjs: tools/trino/package.json tools/trino/package-lock.json tools/trino/entry.mjs
	cd tools/trino && npm ci --no-audit --no-fund && npm run build

tools/kusto/node_modules/.installed: tools/kusto/package.json tools/kusto/package-lock.json
	cd tools/kusto && npm ci --no-audit --no-fund
	touch $@

# Compile the example rules and hunt the bundled CloudTrail sample with DuckDB.
demo: build
	./$(BIN) convert -t duckdb -p cloudtrail rules/aws
	@echo
	./$(BIN) run -p cloudtrail --data cloudtrail='testdata/sample/cloudtrail/**/*.json' rules/aws; \
	  code=$$?; [ $$code -le 1 ] || exit $$code

# Regenerate golden files (review the diff before committing).
golden:
	$(GO) test ./compiler/ -run TestGolden -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=5 ./compiler/... ./backends/... | tee bench.out

fuzz:
	$(GO) test ./compiler/sigma -run '^$$' -fuzz FuzzParseCondition -fuzztime $(FUZZTIME)
	$(GO) test ./compiler -run '^$$' -fuzz FuzzCompile -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...

clean:
	rm -rf bin bench.out tools/trino/node_modules tools/trino/dist tools/kusto/node_modules
