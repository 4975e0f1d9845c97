#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hydractl's bash and zsh completions (deploy/completion/) against the
# hydractl of this build: what a TAB offers after each line of
# completion-cases.txt.
set -uo pipefail
src=$1 build=$2
export PATH="$build/bin:$PATH"
# shellcheck source=/dev/null
source "$src/deploy/completion/hydractl.bash"
failed=0
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
while IFS='|' read -r line want; do
  [[ -z $line || $line == \#* ]] && continue
  expect "$line" "$want"
done <"$src/tests/deploy/completion-cases.txt"
((failed == 0)) && echo "check-completion (bash): every line completed as expected"
# The same cases for zsh.
zsh -f "$src/tests/deploy/check-completion.zsh" "$src" "$build" || failed=1
exit $failed
