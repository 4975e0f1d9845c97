#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The deployment files: the unit passes systemd-analyze verify, make install
# puts everything where the unit expects it, the DaemonSet has its scrape
# annotations and the config example is one hydrad accepts.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$tmp/root" cmake --install "$build" >/dev/null
for f in usr/bin/hydrad usr/bin/hydractl usr/lib/systemd/system/hydrad.service etc/hydra/hydra.toml \
         usr/share/doc/hydra/README.md usr/share/doc/hydra/copyright usr/share/man/man1/hydrad.1.gz \
         usr/share/man/man5/hydra.toml.5.gz usr/share/doc/hydra/docs/hydrad.md usr/share/doc/hydra/docs/api.md; do
  [[ -e "$tmp/root/$f" ]] || fail "make install did not install /$f"
done
grep -q '^ExecStart=/usr/bin/hydrad ' "$src/deploy/systemd/hydrad.service" || fail "unit does not run /usr/bin/hydrad"
grep -q '^Type=notify$' "$src/deploy/systemd/hydrad.service" || fail "unit is not Type=notify"
grep -q '^WatchdogSec=' "$src/deploy/systemd/hydrad.service" || fail "unit has no watchdog"
# verify checks that ExecStart exists: point it at the installed copy.
sed "s|/usr/bin/hydrad|$tmp/root/usr/bin/hydrad|" "$src/deploy/systemd/hydrad.service" >"$tmp/hydrad.service"
systemd-analyze verify "$tmp/hydrad.service" || fail "systemd-analyze verify"
"$build/bin/hydrad" --check-config "$src/deploy/hydra.toml" >/dev/null || fail "deploy/hydra.toml is not accepted"
for k in 'prometheus.io/scrape: "true"' 'prometheus.io/port: "9464"' 'kind: DaemonSet' 'hostNetwork: true'; do
  grep -qF "$k" "$src/deploy/kubernetes/daemonset.yaml" || fail "daemonset.yaml lacks $k"
done
# The DaemonSet's embedded config must be one hydrad accepts, too.
awk '/hydra.toml: \|/{on=1; next} on && /^---/{exit} on' "$src/deploy/kubernetes/daemonset.yaml" | sed 's/^    //' >"$tmp/k8s.toml"
"$build/bin/hydrad" --check-config "$tmp/k8s.toml" >/dev/null || fail "the DaemonSet's hydra.toml is not accepted"
# The container image: the Dockerfile reads the one manifest make image reads;
# the DaemonSet runs the tag make image writes.
grep -q 'image.manifest' "$src/deploy/container/Dockerfile" || fail "the Dockerfile does not read image.manifest"
grep -q 'image.manifest' "$src/scripts/image" || fail "scripts/image does not read image.manifest"
version=$("$build/bin/hydrad" --version | awk '{print $2}')
grep -q "image: hydra/hydrad:$version\$" "$src/deploy/kubernetes/daemonset.yaml" || fail "the DaemonSet does not run hydra/hydrad:$version"
# The sandbox example: its config is accepted, its unit verifies, its script parses.
"$build/bin/hydrad" --check-config "$src/deploy/sandbox/hydra.toml" >/dev/null || fail "deploy/sandbox/hydra.toml is not accepted"
sed "s|/usr/bin/hydrad|$tmp/root/usr/bin/hydrad|" "$src/deploy/sandbox/hydrad-sandbox.service" >"$tmp/hydrad-sandbox.service"
systemd-analyze verify "$tmp/hydrad-sandbox.service" || fail "systemd-analyze verify (sandbox unit)"
sh -n "$src/deploy/sandbox/run-hydrad" || fail "deploy/sandbox/run-hydrad does not parse"
echo "deploy: 1 passed, 0 failed"
