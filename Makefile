# tokenhunt — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
BIN     := bin/tokenhunt
FUZZTIME ?= 60s

.PHONY: all build test demo bench fuzz golden vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tokenhunt

# The test suite: unit, golden (executed on DuckDB), differential and corpus tests.
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

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
	rm -rf bin bench.out
