# SPDX-License-Identifier: Apache-2.0
# bash completion for hydractl (installed as
# /usr/share/bash-completion/completions/hydractl). Subcommands and options
# are read from hydractl's own --help for the words typed so far, so the two
# cannot disagree; a session argument completes to the sessions hydrad lists.

_hydractl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local -a words=() socket=()
  local i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --socket)
        socket=(--socket "${COMP_WORDS[i + 1]}")
        ((i++))
        ;;
      --type | --user | --max-containers | --golden | --desktop | --from | --docker-socket) ((i++)) ;;
      -*) ;;
      *) words+=("$w") ;;
    esac
  done
  COMPREPLY=()
  case $prev in
    --socket | --docker-socket)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
    --type)
      mapfile -t COMPREPLY < <(compgen -W "session spectask exploratory" -- "$cur")
      return
      ;;
    --user | --max-containers | --golden | --desktop) return ;;
  esac
  local help
  help=$("${COMP_WORDS[0]}" "${words[@]}" --help 2>/dev/null) || return
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(grep -oE '(^|[ ,])--?[a-z][a-z-]*' <<<"$help" | tr -d ' ,' | sort -u)" -- "$cur")
    return
  fi
  local subs
  subs=$(awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' <<<"$help")
  if [[ -n $subs ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
    return
  fi
  # The one positional a session command takes: TYPE/ID as the list prints it.
  if [[ ${#words[@]} -eq 2 && ${words[0]} == session && ${words[1]} != list ]] ||
    [[ ${#words[@]} -eq 1 && ${words[0]} == bridge-desktop ]] || [[ $prev == --from ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$("${COMP_WORDS[0]}" "${socket[@]}" session list 2>/dev/null |
      awk 'NR > 1 {print $1}')" -- "$cur")
  fi
}
complete -F _hydractl hydractl
