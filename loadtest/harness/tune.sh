#!/usr/bin/env bash
# Runs loadtest/run.sh once per variants file (default: every file in loadtest/harness/variants/) and keeps each
# report as loadtest/results/tuning/<file>.md and .png. Each file is one run: its variants are compared with each
# other and with nginx within the same rounds. About 4-6 minutes per file on 2 cores.
#
#   JDK25=/path/to/jdk-25 loadtest/harness/tune.sh                        # all files
#   loadtest/harness/tune.sh loadtest/harness/variants/gc.txt             # one file
#
# ROUNDS (4) and DURATION (4) and the other run.sh settings pass through.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ROUNDS=${ROUNDS:-4} DURATION=${DURATION:-4}
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(loadtest/harness/variants/*.txt)
mkdir -p loadtest/results/tuning
for f in "${files[@]}"; do
    name=$(basename "$f" .txt)
    out=$(mktemp -d)
    echo "== $name" >&2
    if VARIANTS="$f" LABEL="tuning, $name" RESULTS="$out" loadtest/run.sh > "$out/stdout" 2>&1; then
        cp "$out/latest.md" "loadtest/results/tuning/$name.md"
        sed -i "s|](latest.png)|]($name.png)|" "loadtest/results/tuning/$name.md"
        [ -f "$out/latest.png" ] && cp "$out/latest.png" "loadtest/results/tuning/$name.png"
        sed -n '/^| scenario/,/^$/p' "loadtest/results/tuning/$name.md" >&2
    else
        echo "run.sh failed for $f:" >&2
        tail -n 30 "$out/stdout" >&2
    fi
    rm -rf "$out"
done
