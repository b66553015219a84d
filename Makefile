# awstray — build, test, benchmark.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -s -w -X github.com/awstray/awstray/cli.Version=$(VERSION)
FUZZTIME  ?= 60s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHTIME ?= 30x

.PHONY: build run test check vet fmt-check unit fuzz bench deps release test-packages test-windows

# Static, without cgo, on Linux and Windows (systray, the keyrings and the
# notifications need none); macOS builds need cgo and are made on macOS.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o awstray .

run: build
	./awstray $(ARGS)

## test: everything CI runs — vet, gofmt, the race-enabled test suite against
## moto_server and the real keyring backends, the fuzzers, and the benchmarks.
test: vet fmt-check unit fuzz bench

vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	# darwin: systray needs cgo there, so the packages that import it are
	# built on macOS; the rest is checked here.
	GOOS=darwin $(GO) vet ./agent/... ./credentials/... ./launcher/... ./desktop/... ./settings/... ./assets/... ./internal/... ./packaging/...
	$(GO) run $(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./credentials/awsconfig
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeRequest$$' -fuzztime=$(FUZZTIME) ./agent
	$(GO) test -run='^$$' -fuzz='^FuzzServeConn$$' -fuzztime=$(FUZZTIME) ./agent
	$(GO) test -run='^$$' -fuzz='^FuzzHandler$$' -fuzztime=$(FUZZTIME) ./agent/ecs
	$(GO) test -run='^$$' -fuzz='^FuzzRawRequest$$' -fuzztime=$(FUZZTIME) ./agent/ecs
	$(GO) test -run='^$$' -fuzz='^FuzzCredentialsFile$$' -fuzztime=$(FUZZTIME) ./credentials/importer

## bench: runs the benchmarks and writes docs/benchmarks.md (machine, CPU,
## Go version, commit, date, run counts, medians) with scripts/bench.sh.
bench:
	GO=$(GO) BENCHTIME=$(BENCHTIME) scripts/bench.sh

## release: dist/ with the linux/amd64 and linux/arm64 tarballs, .deb and
## .rpm, the windows/amd64 zip, SHA256SUMS (checked), the Homebrew formula
## and Scoop manifest with their checksums, and release notes from the git
## log since the last tag (scripts/release.sh).
release:
	GO=$(GO) VERSION=$(VERSION) scripts/release.sh

## test-packages: installs dist/'s .deb on this machine (root), checks what
## it installed, removes it and checks nothing is left; compares the .rpm's
## files (scripts/test-packages.sh).
test-packages: release
	VERSION=$(VERSION) scripts/test-packages.sh

## test-windows: the Windows stage — the Windows build under Wine 10 (a Debian
## trixie root cached outside the checkout, /var/cache/awstray-wine/root, made
## on first use), against moto_server: the CLI scripts of testdata/windows, the
## tray serving the CLI through its named pipe, the agent's tests on named
## pipes, and the keystore conformance suite on wincred. Needs root.
test-windows:
	scripts/test-windows.sh

## deps: the Debian packages the integration tests use (run as root).
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	  make git ca-certificates curl dbus dbus-x11 gnome-keyring libsecret-tools pass gnupg keyutils procps \
	  xvfb x11-utils xclip xsel xterm xdotool zenity desktop-file-utils systemd \
	  zip rpm
	command -v nfpm >/dev/null || GOBIN=/usr/local/bin $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
	@command -v moto_server >/dev/null || python3 -c 'import moto.server' 2>/dev/null || \
	  { echo "moto_server is missing: pip install 'moto[server]'"; exit 1; }
