# shellcheck shell=bash
# Sourced by the chart tests. `helm_checks_init NAME CHART_YAML` sets
# $chart (the chart's folder), $here (this folder), $work (a temp dir,
# removed at exit) and $modules (the installed manifest validator), and
# fails at once, saying what to run, when helm or the validator is missing.
# `check NAME COMMAND...` runs one check; `helm_checks_done` prints
# "NAME: N passed, N failed" and exits with the verdict.
helm_checks_init() {
  suite="$1"
  chart="$(dirname "$(realpath "$2")")"
  here="$(dirname "$(realpath "${BASH_SOURCE[0]}")")"
  work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/$suite.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  passed=0
  failures=0
  if ! command -v helm >/dev/null 2>&1; then
    echo "FAIL helm is not installed: run scripts/get_helm.sh (scripts/setup.sh does)"
    exit 1
  fi
  modules="${FARM_KUBE_VALIDATE_DIR:-/var/cache/farm/kube-validate}"
  local want
  want=$(cat "$here/validator/package.json" "$here/validator/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [[ ! -f "$modules/.installed" || "$(cat "$modules/.installed")" != "$want" ]]; then
    echo "FAIL the manifest validator in $modules is missing or not the one" \
      "tests/helm/validator/package-lock.json pins: run scripts/get_kube_validate.sh" \
      "(scripts/setup.sh does)"
    exit 1
  fi
}

check() {
  local name="$1"
  shift
  if "$@"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failures=$((failures + 1))
  fi
}

has() { grep -qF -- "$2" <<<"$1"; }
hasnt() { ! grep -qF -- "$2" <<<"$1"; }
# count TEXT STRING N: STRING occurs on exactly N lines of TEXT.
count() { [[ $(grep -cF -- "$2" <<<"$1") -eq $3 ]]; }
# arg TEXT ITEM: some list item of TEXT (a container argument, quoted or
# not) is exactly ITEM.
arg() { sed -n 's/^ *- //p' <<<"$1" | sed 's/^"\(.*\)"$/\1/' | grep -qxF -- "$2"; }

# doc FILE KIND NAME: the document of a rendering that is KIND NAME.
doc() {
  awk -v kind="kind: $2" -v name="  name: $3" '
    function flush() { if (k && n) printf "%s", buf; buf = ""; k = n = 0 }
    /^---$/ { flush(); next }
    { buf = buf $0 "\n"; if ($0 == kind) k = 1; if ($0 == name) n = 1 }
    END { flush() }' "$1"
}

# render NAME HELM_TEMPLATE_ARGS...: renders the chart as release "t" into
# $work/NAME.yaml; fails, showing helm's words, if helm refuses.
render() {
  local name="$1"
  shift
  if ! helm template t "$chart" "$@" >"$work/$name.yaml" 2>"$work/$name.err"; then
    sed 's/^/    /' "$work/$name.err"
    return 1
  fi
}

# refused HELM_TEMPLATE_ARGS... MESSAGE: helm refuses to render, saying MESSAGE.
refused() {
  local message="${*: -1}"
  local out
  if out=$(helm template t "$chart" "${@:1:$#-1}" 2>&1); then
    echo "    rendered, but should have been refused"
    return 1
  fi
  if ! grep -qF -- "$message" <<<"$out"; then
    echo "    refused without saying \"$message\":"
    sed 's/^/    /' <<<"$out" | head -5
    return 1
  fi
}

# valid FILE: every manifest of FILE passes the Kubernetes schemas and the
# chart's own invariants; prints the problems otherwise.
valid() {
  local out rc=0
  out=$(node "$here/validator/validate.js" "$modules" "$1") || rc=1
  grep -v '^ok ' <<<"$out" | sed 's/^/    /'
  out=$(node "$here/chart_checks.js" "$modules" check "$1") || rc=1
  grep '^FAIL' <<<"$out" | sed 's/^/    /'
  return $rc
}

helm_checks_done() {
  echo "$suite: $passed passed, $failures failed"
  ((failures == 0))
  exit
}
