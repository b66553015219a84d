#!/bin/sh
# bench.sh: runs the benchmarks (make bench) and writes what they measured,
# with the machine, CPU, Go version, commit, date and run counts, to
# docs/benchmarks.md (OUT). BENCHTIME is the run count of the benchmarks
# that report medians; the idle and load benchmarks run once: their
# figures are single samples and say so.
set -eu
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-30x}
OUT=${OUT:-docs/benchmarks.md}

raw=$(mktemp)
trap 'rm -f "$raw" "$raw.md"' EXIT
run() { "$GO" test -run='^$' "$@" | tee -a "$raw"; }
run -bench=. -benchtime="$BENCHTIME" ./credentials/awsconfig
run -bench='^Benchmark(ExecCached|TrayStartToMenu|Agent)$' -benchtime="$BENCHTIME" .
run -bench='^BenchmarkHotPath$' -benchtime="${HOTPATH_RUNS:-40x}" .
run -bench='TrayIdle' -benchtime=1x .
run -bench='AgentUnderLoad' -benchtime=1x .

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -1)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit (with uncommitted changes)"
fi
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh); do not edit by hand. Figures from one machine"
	echo "at one time: compare runs of the same machine, not these numbers with yours."
	echo
	echo "| | |"
	echo "| --- | --- |"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
	echo "| commit | $commit |"
	echo "| Go | $("$GO" env GOVERSION) $("$GO" env GOOS)/$("$GO" env GOARCH) |"
	echo "| machine | $(uname -sr), $(nproc) CPUs, $mem of memory |"
	echo "| CPU | ${cpu:-unknown} |"
	echo "| load average at the end | $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) |"
	echo
	echo "Each row is one figure a benchmark reports. *runs* is how many times it was measured:"
	echo "\`ms-median-…\` figures are the median of those runs, \`ns/op\` the mean, and a figure of"
	echo "a benchmark run once is a **single sample**."
	echo
	echo "| benchmark | figure | value | runs |"
	echo "| --- | --- | --- | --- |"
	awk '
		/^Benchmark/ {
			name = $1; sub(/-[0-9]+$/, "", name); n = $2
			runs = (n == 1) ? "1 (single sample)" : n
			for (i = 3; i + 1 <= NF; i += 2) {
				unit = $(i + 1)
				if (unit == "B/op" || unit == "allocs/op") continue
				printf "| `%s` | %s | %s | %s |\n", name, unit, $i, runs
			}
		}' "$raw"
	echo
	echo "## Hot path"
	echo
	echo "\`HotPath\` runs each command once per round, all in the same rounds, and gives the medians;"
	echo "the goals (issue 8): through the tray at most 2x the floor, standalone at most 0.6x aws-vault."
	echo
	echo "| command | median | ratio |"
	echo "| --- | --- | --- |"
	awk '
		$1 ~ /^BenchmarkHotPath(-[0-9]+)?$/ {
			for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
			row("a bare Go program that only execs `true` (the floor)", "floor", "")
			row("`awstray version`", "version", "x-floor-version")
			row("`awstray exec P -- true` through the tray", "exec-tray", "x-floor-exec-tray")
			row("`awstray exec P -- true` standalone", "exec-standalone", "x-floor-exec-standalone")
			if ("ns-median-aws-vault" in v) {
				row("`aws-vault exec -n P -- true`", "aws-vault", "x-floor-aws-vault")
				printf "| standalone / aws-vault | | %.2fx (goal: at most 0.6x) |\n", v["x-aws-vault-exec-standalone"]
			} else {
				print "| `aws-vault exec -n P -- true` | not run: set AWS_VAULT_BIN | |"
			}
		}
		function row(what, name, ratio) {
			r = (ratio == "") ? "1x" : sprintf("%.2fx the floor", v[ratio])
			if (name == "exec-tray") r = r " (goal: at most 2x)"
			printf "| %s | %.2f ms | %s |\n", what, v["ns-median-" name] / 1e6, r
		}' "$raw"
	echo
	echo "What they measure (bench_test.go, credentials/awsconfig/fuzz_test.go):"
	echo
	echo "- \`ExecCached\`: \`awstray exec P -- true\` with a cached session, a 500-profile config and"
	echo "  the file keyring, beside \`true\` alone."
	echo "- \`Agent\`: the same through the tray's agent, standalone, and \`credential-process\` through the agent."
	echo "- \`TrayStartToMenu\`: from starting the tray (500 profiles) to its menu readable on D-Bus."
	echo "- \`TrayIdle\`: the tray's RSS after a minute idle with 500 profiles, 10 unlocked, and the CPU"
	echo "  time it used in that minute."
	echo "- \`AgentUnderLoad\`: the agent's latency, throughput and peak RSS under 15 s of load, with"
	echo "  and without 1000 leaked connections."
	echo "- \`HotPath\`: the floor (a bare Go program that execs \`true\`), \`awstray version\`,"
	echo "  \`awstray exec P -- true\` through the tray and standalone (500 profiles, file keyring, cached"
	echo "  session) and, with AWS_VAULT_BIN set, \`aws-vault exec -n P -- true\`, in the same rounds."
	echo "- \`Parse500\`, \`Chain500\`: parsing a 500-profile config, resolving chains in it."
} > "$raw.md"
mv "$raw.md" "$OUT"
echo "wrote $OUT"
