#!/usr/bin/env bash
# Prints the directories of the corpus cases named (all, sorted, if none),
# one a line; exits 2 naming any case that does not exist.
#   case_list.sh [NAME...]
set -euo pipefail

cases_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/cases"
if (($# == 0)); then
  for case_dir in "$cases_dir"/*/; do echo "${case_dir%/}"; done
  exit 0
fi
for name in "$@"; do
  if [[ ! -f "$cases_dir/$name/Dockerfile" ]]; then
    echo "no compat case named $name (in $cases_dir)" >&2
    exit 2
  fi
  echo "$cases_dir/$name"
done
