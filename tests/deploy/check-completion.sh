#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hydractl's bash completion (deploy/completion/hydractl.bash) against the
# hydractl of this build: what a TAB offers after each of these lines.
set -uo pipefail
src=$1 build=$2
export PATH="$build/bin:$PATH"
# shellcheck source=/dev/null
source "$src/deploy/completion/hydractl.bash"
failed=0
# expect "LINE" "WORDS": LINE ends where TAB is pressed (a trailing space: a
# new word); WORDS is what must be offered, sorted, space-separated.
expect() {
  local line=$1 want=$2
  read -r -a COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _hydractl
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
  if [[ $got != "$want" ]]; then
    echo "check-completion: \"$line<TAB>\" offered [$got], not [$want]" >&2
    failed=1
  fi
}
expect "hydractl ses" "session"
expect "hydractl " "bridge-desktop events golden links session status topology"
expect "hydractl session " "create delete inspect list purge"
expect "hydractl --socket /x.sock golden " "create delete list"
expect "hydractl session create --ty" "--type"
expect "hydractl session inspect --type " "exploratory session spectask"
expect "hydractl session inspect --type spectask --js" "--json"
expect "hydractl topology --d" "--docker-socket --dot"
# No hydrad on this socket: a session argument offers nothing, and says nothing.
expect "hydractl --socket /nonexistent.sock session inspect " ""
((failed == 0)) && echo "check-completion: every line completed as expected"
exit $failed
