#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages as an administrator gets them: lintian finds no error
# and no warning; the control data is right (conffile, dependencies,
# maintainer scripts); the binaries are stripped and hydra-dbgsym holds
# their debug info by build id; man pages, copyright, changelog; every
# source file carries its SPDX line. The maintainer scripts are run for
# install, upgrade, remove and purge in a mount namespace of their own (a
# private /run and /var/lib), with the systemd helpers replaced by stubs
# that record their calls: the machine itself is never changed.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then  # unshare and mount below
  [[ -z "${CI:-}" ]] || fail "needs root (CI runs as root)"
  echo "SKIP: needs root; skipped on this machine"
  exit 77
fi
checks=0
ok() { checks=$((checks + 1)); }

# License: Apache-2.0, and an SPDX line in every source file.
grep -q 'Apache License' "$src/LICENSE" && grep -q 'Version 2.0, January 2004' "$src/LICENSE" || fail "LICENSE is not Apache-2.0"
cd "$src"
missing=$(git ls-files -- '*.cpp' '*.hpp' '*.sh' 'CMakeLists.txt' '*/CMakeLists.txt' '*.cmake' 'scripts/*' \
            ':!scripts/tidy-clean.txt' 'deploy/debian/postinst' 'deploy/debian/prerm' 'deploy/debian/postrm' 2>/dev/null |
          while read -r f; do grep -q 'SPDX-License-Identifier: Apache-2.0' "$f" || echo "$f"; done)
[[ -z "$missing" ]] || fail "no SPDX line in: $missing"
ok
cd - >/dev/null

(cd "$build" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$(ls "$tmp"/pkg/hydra_*.deb)
dbg=$(ls "$tmp"/pkg/hydra-dbgsym_*.ddeb)

# Policy: no error, no warning (overrides would sit in the package, with their reasons).
lintian --fail-on error,warning "$deb" >"$tmp/lintian" 2>&1 || { cat "$tmp/lintian"; fail "lintian"; }
ok

dpkg-deb -I "$deb" >"$tmp/info"
dpkg-deb -f "$deb" Depends >"$tmp/depends"
grep -qx '/etc/hydra/hydra.toml' <(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) || fail "hydra.toml is not a conffile"
for d in adduser init-system-helpers libmnl0 libmicrohttpd12 libnftables1; do
  grep -q "$d" "$tmp/depends" || fail "Depends lacks $d"
done
for s in postinst prerm postrm; do grep -q " $s " "$tmp/info" || fail "no $s"; done
maint=$(dpkg-deb -f "$deb" Maintainer)
[[ "$maint" =~ ^[^\<]+\ \<[^@\>]+@[^@\>]+\.[a-z]+\>$ && "$maint" != *localhost* ]] || fail "maintainer \"$maint\""
[[ $(dpkg-deb -f "$deb" Description | wc -l) -gt 3 ]] || fail "no extended description"
ok

# Stripped binaries; their debug info in hydra-dbgsym, by build id.
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -x "$dbg" "$tmp/dbg"
for b in hydrad hydractl; do
  f="$tmp/root/usr/bin/$b"
  file "$f" | grep -q ', stripped' || fail "$b is not stripped"
  ! readelf -S "$f" | grep -q '\.debug_info' || fail "$b still has .debug_info"
  id=$(readelf -n "$f" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
  [[ -n "$id" ]] || fail "$b has no build id"
  sym="$tmp/dbg/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
  [[ -f "$sym" ]] || fail "hydra-dbgsym lacks $b's symbols (.build-id/${id:0:2}/${id:2}.debug)"
  readelf -S "$sym" 2>/dev/null | grep -q '\.debug_info' || fail "$b's .debug file has no debug info"
done
for f in usr/share/man/man1/hydrad.1.gz usr/share/man/man1/hydractl.1.gz usr/share/doc/hydra/copyright \
         usr/share/doc/hydra/changelog.gz etc/hydra/hydra.toml usr/lib/systemd/system/hydrad.service \
         usr/share/hydra/monitoring/hydra-alerts.yaml usr/share/hydra/monitoring/hydra-dashboard.json \
         usr/share/bash-completion/completions/hydractl usr/share/zsh/vendor-completions/_hydractl \
         usr/share/man/man5/hydra.toml.5.gz \
         usr/share/doc/hydra/docs/operating.md; do
  [[ -s "$tmp/root/$f" ]] || fail "the package lacks /$f"
done
zcat "$tmp/root/usr/share/man/man1/hydrad.1.gz" | grep -q '^\.TH HYDRAD' || fail "hydrad(1) is not a man page"
zcat "$tmp/root/usr/share/man/man1/hydrad.1.gz" | grep -q 'hydra\.toml(5)' || fail "hydrad(1) does not point to hydra.toml(5)"
zcat "$tmp/root/usr/share/man/man5/hydra.toml.5.gz" | grep -q '^\.B authz_plugin$' || fail "hydra.toml(5) lacks the config keys"
ok

# The maintainer scripts, in a private mount namespace with stubbed helpers.
dpkg-deb -e "$deb" "$tmp/ctrl"
mkdir -p "$tmp/stubs"
for cmd in deb-systemd-helper deb-systemd-invoke systemctl addgroup; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ "$1 $2" = "--quiet was-enabled" ] && [ -e "%s/disabled" ] && exit 1\nexit 0\n' \
    "$cmd" "$tmp" "$tmp" >"$tmp/stubs/$cmd"
done
printf '#!/bin/sh\n[ "$1 $2" = "group hydra" ] && [ -e "%s/group" ] && exit 0\n[ "$1" = group ] && exit 2\nexec /usr/bin/getent "$@"\n' \
  "$tmp" >"$tmp/stubs/getent"
chmod +x "$tmp"/stubs/*
# Runs `script args...` with /run (systemd "running") and /var/lib private;
# prints whether /var/lib/hydra exists afterwards, and its mode.
run_script() {
  local keep=$1
  shift
  : >"$tmp/calls"
  unshare --mount --propagation private sh -c '
    set -e
    mount -t tmpfs none /run && mkdir -p /run/systemd/system
    mount -t tmpfs none /var/lib
    [ "$1" = keep ] && install -d -m 0750 /var/lib/hydra
    shift
    PATH="'"$tmp"'/stubs:$PATH" sh "$@"
    stat -c "%a" /var/lib/hydra 2>/dev/null || echo absent' sh "$keep" "$@"
}
expect_call() { grep -qx "$1" "$tmp/calls" || { cat "$tmp/calls"; fail "$2: no \"$1\""; }; }
expect_no_call() { ! grep -q "$1" "$tmp/calls" || { cat "$tmp/calls"; fail "$2: \"$1\" called"; }; }

out=$(run_script fresh "$tmp/ctrl/postinst" configure)
[[ "$out" == 750 ]] || fail "install: /var/lib/hydra is $out"
expect_call "addgroup --quiet --system hydra" install
expect_call "deb-systemd-helper enable hydrad.service" install
expect_call "deb-systemd-invoke start hydrad.service" install
expect_no_call "try-restart" install
touch "$tmp/group"
run_script keep "$tmp/ctrl/postinst" configure 0.0.9 >/dev/null
expect_no_call "addgroup" "upgrade (group there)"
expect_call "deb-systemd-invoke try-restart hydrad.service" upgrade
expect_no_call "invoke start" upgrade
touch "$tmp/disabled"
run_script keep "$tmp/ctrl/postinst" configure 0.0.9 >/dev/null
expect_no_call "helper enable" "upgrade of a disabled unit"
expect_call "deb-systemd-helper update-state hydrad.service" "upgrade of a disabled unit"
run_script keep "$tmp/ctrl/prerm" upgrade 0.1.1 >/dev/null
expect_no_call "stop" "prerm upgrade"
run_script keep "$tmp/ctrl/prerm" remove >/dev/null
expect_call "deb-systemd-invoke stop hydrad.service" "prerm remove"
out=$(run_script keep "$tmp/ctrl/postrm" remove)
[[ "$out" == 750 ]] || fail "remove: the state went ($out)"
out=$(run_script keep "$tmp/ctrl/postrm" purge)
[[ "$out" == absent ]] || fail "purge: the state stayed ($out)"
expect_call "deb-systemd-helper purge hydrad.service" purge
ok

size=$(stat -c %s "$deb")
echo "package: $(basename "$deb") $((size / 1024)) KiB, installed $(dpkg-deb -f "$deb" Installed-Size) KiB;" \
     "$(basename "$dbg") $(($(stat -c %s "$dbg") / 1024)) KiB"
echo "package: $checks passed, 0 failed"
