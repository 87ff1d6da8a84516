#!/usr/bin/env bash
# Runs one phase of `make test` and notes how long it took in target/test-phases.txt, so
# the end of `make test` can say where the time went (README: The two commands).
set -euo pipefail
name=$1
shift
start=$(date +%s)
"$@"
end=$(date +%s)
mkdir -p target
printf '%-34s %6d s\n' "$name" $((end - start)) >> target/test-phases.txt
