#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hydra.toml(5) as the build installs it, against the hydrad of this build:
# the manual and --check-config list the same keys, each with its type,
# default and SIGHUP behaviour; groff reads the page without a warning; and
# deploy/hydra.toml holds every key at its default.
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

page=$build/doc/hydra.toml.5.gz
[[ -f $page ]] || { echo "FAIL: $page was not built" >&2; exit 1; }
gzip -dc "$page" >"$tmp/hydra.toml.5"

# The keys --check-config prints, as SECTION.KEY (top-level keys bare).
: >"$tmp/empty.toml"
"$build/bin/hydrad" --check-config "$tmp/empty.toml" >"$tmp/defaults.toml" || { echo "FAIL: --check-config" >&2; exit 1; }
toml_keys() {
  awk '/^\[/{gsub(/[][]/, ""); s=$0"."; next} /^[a-z_]+ = /{print s $1}' "$1" | sort
}
toml_keys "$tmp/defaults.toml" >"$tmp/config.keys"

# The keys the manual describes: ".B KEY" after ".TP", under .SH "[SECTION]"
# or .SH "TOP-LEVEL KEYS". Each entry must say Type, Default and On SIGHUP.
awk -v out="$tmp/entries" '
  /^\.SH "\[/ { s = $2; gsub(/[]["]/, "", s); s = s "."; keys = 1; next }
  /^\.SH "TOP-LEVEL KEYS"/ { s = ""; keys = 1; next }
  /^\.SH/ { keys = 0; next }
  keys && prev == ".TP" && /^\.B / { key = s $2; print key; fields[key] = "" }
  keys && key != "" && /^Type: /       { fields[key] = fields[key] "T" }
  keys && key != "" && /^Default: /    { fields[key] = fields[key] "D" }
  keys && key != "" && /^On SIGHUP: /  { fields[key] = fields[key] "S" }
  { prev = $0 }
  END { for (k in fields) print k, fields[k] > out }
' "$tmp/hydra.toml.5" | sort >"$tmp/manual.keys"
if ! diff -u "$tmp/config.keys" "$tmp/manual.keys" >"$tmp/diff"; then
  fail "--check-config (-) and hydra.toml(5) (+) list different keys:"; cat "$tmp/diff" >&2
fi
[[ -s $tmp/manual.keys ]] || fail "hydra.toml(5) describes no key"
while read -r key have; do
  [[ $have == TDS ]] || fail "hydra.toml(5): $key lacks its Type, Default or On SIGHUP line ($have)"
done <"$tmp/entries"

# groff reads it without a warning.
warnings=$(groff -man -Tutf8 -ww -z "$tmp/hydra.toml.5" 2>&1)
[[ -z $warnings ]] || fail "groff warns about hydra.toml(5): $warnings"

# deploy/hydra.toml: every key, each at its default.
toml_keys "$src/deploy/hydra.toml" >"$tmp/example.keys"
if ! diff -u "$tmp/config.keys" "$tmp/example.keys" >"$tmp/diff"; then
  fail "deploy/hydra.toml (+) does not list every key (-):"; cat "$tmp/diff" >&2
fi
"$build/bin/hydrad" --check-config "$src/deploy/hydra.toml" >"$tmp/example.toml" || fail "deploy/hydra.toml is refused"
if ! diff -u "$tmp/defaults.toml" "$tmp/example.toml" >"$tmp/diff"; then
  fail "deploy/hydra.toml (+) sets keys away from their defaults (-):"; cat "$tmp/diff" >&2
fi

if ((failed)); then exit 1; fi
echo "config manual: $(wc -l <"$tmp/manual.keys") keys, the same in --check-config, hydra.toml(5) and deploy/hydra.toml"
