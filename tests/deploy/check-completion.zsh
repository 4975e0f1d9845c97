#!/usr/bin/env zsh
# SPDX-License-Identifier: Apache-2.0
# hydractl's zsh completion (deploy/completion/_hydractl) against the hydractl
# of this build, on the cases of completion-cases.txt. compadd and _files are
# stood in for: they collect what the function offers, matched against the
# word being completed as zsh would.
emulate -L zsh
src=$1 build=$2
path=("$build/bin" $path)
typeset -ga offered
compadd() {
  [[ $1 == -- ]] && shift
  local c
  for c in "$@"; do [[ $c == ${words[CURRENT]}* ]] && offered+=("$c"); done
}
_files() { offered+=(FILES) }
source "$src/deploy/completion/_hydractl" 2>/dev/null
failed=0
while IFS='|' read -r line want; do
  [[ -z $line || $line == \#* ]] && continue
  words=(${(z)line})
  [[ $line == *" " ]] && words+=("")
  CURRENT=${#words}
  offered=()
  _hydractl
  got=${(j: :)${(o)offered}}
  if [[ $got != "$want" ]]; then
    print -u2 "check-completion (zsh): \"$line<TAB>\" offered [$got], not [$want]"
    failed=1
  fi
done <"$src/tests/deploy/completion-cases.txt"
((failed == 0)) && print "check-completion (zsh): every line completed as expected"
exit $failed
