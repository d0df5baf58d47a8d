# migtest — make targets. Each installs what it needs where it can (apt on
# Debian/Ubuntu, as root or with sudo) and says exactly what to install where it can't.

GO        ?= go
PKGS      ?= ./...
BENCHTIME ?= 1x
GOLANGCI  ?= v2.15.0

SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)

.PHONY: all build test test-short demo lint bench deps image images matrix fuzz clean rehearse-big test-big

all: build

## build: bin/migrate (production: no Docker or test code, TestThinBinary keeps it so) and
## bin/migtest (the developer commands: rehearse, sandbox, new).
build:
	$(GO) build -o bin/migrate ./cmd/migrate
	$(GO) build -o bin/migtest ./cmd/migtest

## deps: install MariaDB server and client (the local provider's binaries) when missing.
deps:
	@if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || command -v mysqld >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "installing mariadb-server mariadb-client (apt)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq mariadb-server mariadb-client >/dev/null; \
	else \
	  echo "MariaDB server binaries are missing: install mariadb-server (e.g. 'brew install mariadb', 'dnf install mariadb-server'),"; \
	  echo "or use Docker (MIGTEST_PROVIDER=docker), or point MIGTEST_DSN at a server you run."; \
	fi

## test: vet, then the whole suite with the race detector, against real MariaDB servers.
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

## rehearse-big: the CI rehearsal: the example patches on a generated production-sized site
## (~2.2 M rows, cached under .cache/): schema must equal the goldens, row counts follow each patch's
## declared Rows, budgets and the lint hold. The rehearse command makes the one pass (progress lines,
## the checks by size, the per-patch table) and stores it in the pass cache, with the database kept
## after each patch; the go test rehearsals of each patch then read the pass and run their Check
## assertions on the kept database instead of starting over.
BIG_SCALE   ?= 600
BIG_FIXTURE := .cache/big-site-s$(BIG_SCALE).sql.gz
$(BIG_FIXTURE): $(filter-out %_test.go,$(wildcard fixtures/*.go cmd/fixturegen/*.go))
	mkdir -p .cache && $(GO) run ./cmd/fixturegen -scale $(BIG_SCALE) -out $@ -v
rehearse-big: deps build $(BIG_FIXTURE)
	./bin/migtest rehearse --fixture $(BIG_FIXTURE) --golden snapshots/demo-site.snap --schema-only
	MIGTEST_FIXTURE=$(CURDIR)/$(BIG_FIXTURE) $(GO) test -count=1 -timeout 25m ./patches/...

## test-big: migtest's own tests that need the production-sized site (not the rehearsal of a patch
## set): a lock budget broken on big data must fail the rehearsal, naming the statement.
test-big: deps $(BIG_FIXTURE)
	MIGTEST_FIXTURE=$(CURDIR)/$(BIG_FIXTURE) $(GO) test -count=1 -timeout 10m -run 'TestBigFixtureLockBudget' -v ./migtest/

## test-short: the fast tests only (pure logic, no long rehearsals).
test-short:
	$(GO) test -short -count=1 $(PKGS)

## demo: rehearse the example patches on the committed demo fixture on a disposable local MariaDB.
demo: deps build
	./bin/migtest -q rehearse --fixture fixtures/demo-site.sql.gz --golden snapshots/demo-site.snap

## lint: golangci-lint v2 (installed with go install when missing).
LINTBIN := $(shell $(GO) env GOPATH)/bin/golangci-lint
lint:
	@[ -x $(LINTBIN) ] && $(LINTBIN) version 2>/dev/null | grep -q 'version $(patsubst v%,%,$(GOLANGCI))' || $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI)
	$(LINTBIN) run $(PKGS)

## bench: every benchmark side by side with the stock tools in one run (medians of BENCHCOUNT runs),
## then BENCHMARKS.md with the ratios and goals. Takes about half an hour on 2 cores.
BENCHCOUNT ?= 3
BENCH      ?= .
bench: deps build
	@command -v mydumper >/dev/null 2>&1 || ( command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get install -y -qq mydumper >/dev/null ) || echo "mydumper missing: its rows are marked not run"
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 120m $(PKGS) | tee bench.out
	$(GO) run ./cmd/benchreport -machine "$$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $$(free -g | awk '/Mem/{print $$2}') GiB" \
	  -command "make bench BENCHCOUNT=$(BENCHCOUNT)" < bench.out > BENCHMARKS.md
	@echo "wrote BENCHMARKS.md"

## image: build the local MariaDB test image for the Docker providers (no registry needed):
## migtest/mariadb:local, MariaDB 10.11 from bookworm.
image:
	.ci/mariadb-image/build.sh

## images: every server image the matrix runs on (README's support table), cached under
## ~/.cache/migtest; EXTRA_PACKAGES adds Debian packages to each (e.g. galera-4).
IMAGES ?= migtest/mariadb:10.5 migtest/mariadb:10.11 migtest/mariadb:11.8 migtest/mysql:9
images: image
	@for im in $(IMAGES); do .ci/mariadb-image/build.sh $$im || exit 1; done

## matrix: what differs between servers (rehearsals, backup/restore round trips, the snapshot
## normaliser, the DDL lint's probe) on every image of IMAGES, then the cross-version round
## trips; builds the images it lacks. .ci/run runs it after the main suite.
matrix: images
	TESTCONTAINERS_RYUK_DISABLED=true .ci/matrix $(IMAGES)

## fuzz: fuzzing runs of the SQL splitter, the snapshot parser, the DDL lint's parser, the SQL lexer,
## the backup's object names and restore's byte reader of VALUES lists (against the lexer's reading). Each target runs a fixed number of inputs (about 10 s each on 2 cores), not a
## duration: a duration races Go 1.26's fuzz coordinator at its deadline (golang/go#75804: a bare
## "context deadline exceeded" with no crasher, seen in CI on the slow database target). FUZZTIME=30s
## gives every target a duration instead.
FUZZTIME ?=
fuzztime = $(if $(FUZZTIME),$(FUZZTIME),$(1))
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(call fuzztime,30000x) ./migtest/dump/sqlsplit
	$(GO) test -run '^$$' -fuzz '^FuzzLiterals$$' -fuzztime $(call fuzztime,4000x) ./migtest/dump/sqlsplit
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzztime,40000x) ./migtest/snapshot
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzztime,100000x) ./migtest/ddllint
	$(GO) test -run '^$$' -fuzz '^FuzzLex$$' -fuzztime $(call fuzztime,300000x) ./migtest/internal/sqltext
	$(GO) test -run '^$$' -fuzz '^FuzzBackupNames$$' -fuzztime $(call fuzztime,40x) ./migtest/dump
	$(GO) test -run '^$$' -fuzz '^FuzzFastRows$$' -fuzztime $(call fuzztime,60000x) ./migtest/dump

clean:
	rm -rf bin bench.out
