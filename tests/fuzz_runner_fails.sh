#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fuzz's verdict can fail: run on fuzz_canary, whose seed corpus holds
# the input it crashes on, it must exit 1, say FAILED, and keep that run's
# folder with the crashing input. (Its old check, an `ls` of three globs,
# passed every run that did not find a crash, a leak and a timeout at once.)
set -uo pipefail
root=$1
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
out=$(FUZZ_RUNS=$runs "$root/scripts/fuzz" run canary 5 2>&1)
status=$?
echo "$out"
fail() { echo "fuzz_runner_fails: $*" >&2; exit 1; }
((status == 1)) || fail "scripts/fuzz exited $status on a crashing target, not 1"
grep -q "fuzz_canary: FAILED" <<<"$out" || fail "no FAILED verdict printed"
grep -rlq "hydra-fuzz-canary" "$runs"/canary-*/artifacts/ || fail "the crashing input was not kept in the run's folder"
# The same runner passes a target that does not crash (its folder removed).
FUZZ_RUNS=$runs "$root/scripts/fuzz" run restore_plan 2 >/dev/null || fail "a clean run failed"
[[ -z $(find "$runs" -maxdepth 1 -name 'restore_plan-*') ]] || fail "a passing run left its folder"
echo "fuzz_runner_fails: a crash fails the run; a clean run passes"
