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

# The main job on the embedded default: show one compiled rule, run the AWS
# rules on the bundled sample, then simulate two days of AWS CloudTrail and
# GCP audit logs with injected attacks, ingest them into Parquet, hunt them
# with the shipped rules and write the report (exit 1 of run/hunt means
# "findings"). Entra ID is left out until hunts run correlations across
# sources: its rules join the interactive and non-interactive sign-in tables.
DEMO := out/demo
demo: build
	./$(BIN) convert -t duckdb -p cloudtrail rules/aws/cloudtrail/aws_sts_get_federation_token.yml
	@echo
	./$(BIN) run -p cloudtrail --data cloudtrail='testdata/sample/cloudtrail/**/*.json' rules/aws/cloudtrail; \
	  code=$$?; [ $$code -le 1 ] || exit $$code
	@echo
	rm -rf $(DEMO)
	./$(BIN) simulate --out $(DEMO)/raw --seed 7 --events 20000 --duration 2d --clouds aws,gcp --start 2026-11-01T00:00:00Z
	./$(BIN) ingest --kind cloudtrail --out $(DEMO)/parquet/cloudtrail $(DEMO)/raw/AWSLogs > $(DEMO)/ingest.txt
	./$(BIN) ingest --kind gcp-audit --out $(DEMO)/parquet/gcp $(DEMO)/raw/gcp >> $(DEMO)/ingest.txt
	@grep -E '^total' $(DEMO)/ingest.txt
	./$(BIN) hunt hunts/examples/demo.yml --from 2026-11-01T00:00:00Z --to 2026-11-03T00:00:00Z --report $(DEMO)/report.html; \
	  code=$$?; [ $$code -le 1 ] || exit $$code
	@echo "findings: $(DEMO)/findings/findings.jsonl (and .ocsf.json, .parquet); report: $(DEMO)/report.html"

# Regenerate golden files (review the diff before committing).
golden:
	$(GO) test ./compiler/ -run TestGolden -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=3 ./compiler/ ./internal/simulate/ | tee bench.out
	$(GO) test ./hunts/bench -run '^$$' -bench . -benchtime 1x -count 3 | tee -a bench.out

fuzz:
	$(GO) test ./compiler/sigma -run '^$$' -fuzz FuzzParseCondition -fuzztime $(FUZZTIME)
	$(GO) test ./compiler -run '^$$' -fuzz FuzzCompile -fuzztime $(FUZZTIME)
	$(GO) test ./compiler/ir -run '^$$' -fuzz FuzzParseIR -fuzztime $(FUZZTIME)
	$(GO) test ./hunts -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

vet:
	$(GO) vet ./...

clean:
	rm -rf bin out bench.out tools/trino/node_modules tools/trino/dist tools/kusto/node_modules
