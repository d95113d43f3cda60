#!/usr/bin/env bash
# Every flag a container of the chart passes is one its binary accepts.
# The chart's ci/*-values.yaml between them switch on every optional flag;
# each --flag of each rendering is looked up in what the real binary's
# --help and --helpfull print (Abseil lists flags with underscores, farm
# takes them with dashes as well).
#
#   helm_args_test.sh CHART_YAML FARM_SCHEDULER FARM_CACHE FARM_WORKER
set -uo pipefail
source "$(dirname "$0")/helm_checks.sh"
helm_checks_init helm_args "$1"

declare -A binary=([farm-scheduler]="$2" [farm-cache]="$3" [farm-worker]="$4")
declare -A known
for name in "${!binary[@]}"; do
  help=$("${binary[$name]}" --help 2>&1; "${binary[$name]}" --helpfull 2>&1)
  known[$name]=$(grep -oE -- '--[A-Za-z0-9][A-Za-z0-9_-]*' <<<"$help" | tr _ - | sort -u)
  check "$name --help lists its flags" grep -qxF -- --root <<<"${known[$name]}"
done

: >"$work/flags"
for values in "$chart"/ci/*-values.yaml; do
  option=$(basename "$values" -values.yaml)
  if ! render "$option" -f "$values"; then
    check "renders ($option)" false
    continue
  fi
  node "$here/chart_checks.js" "$modules" flags "$work/$option.yaml" >>"$work/flags"
done

while read -r command flag; do
  if [[ -z "${binary[$command]:-}" ]]; then
    check "$command is one of farm's binaries" false
    continue
  fi
  check "$command accepts $flag" grep -qxF -- "$flag" <<<"${known[$command]}"
done < <(sort -u "$work/flags")

helm_checks_done
