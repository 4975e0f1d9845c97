#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The alert rules (deploy/monitoring/hydra-alerts.yaml): they parse and their
# templates compile (promtool check rules); every alert has a severity, a
# summary and a description; every alert is tested, firing and not
# (hydra-alerts.test.yaml, promtool test rules, on a copy of the rules without
# annotations: promtool compares those word for word).
set -euo pipefail
src=$1
dir=$src/deploy/monitoring
fail() { echo "check-alerts: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus; make deps installs it)"

promtool check rules "$dir/hydra-alerts.yaml"

# Each rule's keys, one block per "- alert:".
alerts=$(sed -n 's/^ *- alert: *//p' "$dir/hydra-alerts.yaml")
[[ -n $alerts ]] || fail "no alert in hydra-alerts.yaml"
for a in $alerts; do
  block=$(awk -v a="$a" '/^ *- alert: /{on = ($3 == a)} on' "$dir/hydra-alerts.yaml")
  grep -qE '^ +severity: (critical|warning)$' <<<"$block" || fail "$a: no severity (critical or warning)"
  grep -qE '^ +summary: ' <<<"$block" || fail "$a: no summary"
  grep -qE '^ +description: ' <<<"$block" || fail "$a: no description"
  # A firing case (an exp_alerts list with an alert) and a case that must
  # not fire (another series in the same group, or an empty exp_alerts).
  n=$(grep -c "alertname: $a\$" "$dir/hydra-alerts.test.yaml" || true)
  ((n >= 1)) || fail "$a: not tested in hydra-alerts.test.yaml"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The rules without their annotations blocks (every line indented deeper
# than "annotations:" belongs to it).
awk '/^ *annotations:/ {skip = index($0, "a"); next}
     skip && (match($0, /[^ ]/) > skip || /^ *$/) {next}
     {skip = 0; print}' "$dir/hydra-alerts.yaml" >"$work/hydra-alerts.yaml"
grep -q 'summary:' "$work/hydra-alerts.yaml" && fail "annotations left in the test copy"
cp "$dir/hydra-alerts.test.yaml" "$work/"
(cd "$work" && promtool test rules hydra-alerts.test.yaml)
echo "check-alerts: $(wc -w <<<"$alerts") alerts checked and tested"
