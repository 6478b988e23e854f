# Sourced by the examples in scripts/examples/ (and scripts/demo): how to show a step,
# find kpipe and reach a broker. Not a command of its own.
#
# examples_init "$@" reads the options every example takes:
#   --events N     how many sample events (default: the example's own)
#   --seed S       scripts/sample-events seed (default 1: the same events every run)
#   --prefix P     put P before every topic name (tests use it to keep runs apart)
#   --keep         keep the work directory with the intermediate files
# then finds kpipe (KPIPE_BIN, else build/kpipe, building it if needed, else kpipe on
# PATH) and a broker (KPIPE_BROKERS, else scripts/kafka-local, started if it is not
# running), and makes a work directory $work.

examples_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [[ -t 1 ]]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold='' dim='' off=''; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
# Prints a command, then runs it (a pipeline is fine: it runs under pipefail).
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; bash -o pipefail -c "$*"; }

examples_usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
  exit 2
}

examples_init() {
  events=${default_events:-10000} seed=1 prefix='' keep=0
  while (($#)); do
    case $1 in
      --events) events=${2:?--events needs a number}; shift 2 ;;
      --seed) seed=${2:?--seed needs a number}; shift 2 ;;
      --prefix) prefix=${2?--prefix needs a value}; shift 2 ;;
      --keep) keep=1; shift ;;
      *) examples_usage ;;
    esac
  done
  [[ $events =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] || examples_usage
  cd "$examples_root"

  if [[ -n ${KPIPE_BIN:-} ]]; then
    PATH="$(cd "$(dirname "$KPIPE_BIN")" && pwd):$PATH"
  elif [[ -x build/kpipe ]] || ! command -v kpipe >/dev/null 2>&1; then
    if [[ ! -x build/kpipe ]]; then
      echo "building kpipe into build/ (scripts/bootstrap installs what is missing)" >&2
      scripts/bootstrap >&2
      cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build >&2
    fi
    PATH="$examples_root/build:$PATH"
  fi
  export PATH

  if [[ -z ${KPIPE_BROKERS:-} ]]; then
    scripts/kafka-local status >/dev/null 2>&1 || scripts/kafka-local start >&2
    eval "$(scripts/kafka-local env)"
  fi
  export KPIPE_BROKERS

  work=$(mktemp -d "${TMPDIR:-/tmp}/kpipe-example.XXXXXX")
  if ((keep)); then
    echo "intermediate files are kept in $work" >&2
  else
    trap 'rm -rf "$work"' EXIT
  fi
}

# A topic made afresh for this run. The sample events carry fixed times in the past, and
# a broker deletes records older than its retention by record time: retention.ms=-1
# keeps them.
fresh_topic() {
  local name=$1 partitions=$2
  kpipe topics delete "$name" --yes --if-exists -q
  show "kpipe topics create $name --partitions $partitions --config retention.ms=-1 -q"
}
