# jq helpers for kpipe's `--count-by ... --window D -o json` documents, one per window in
# time order: {"window_start", "window_end", "count", "distinct", "late", "keys": [{"key",
# "count", "avg", ...}]}. Used by the examples: jq -L scripts/examples 'include "windows"; ...'

def lpad($n): tostring | (" " * ($n - length)) + .;
def rpad($n): tostring | . + (" " * ($n - length));
# A number with one decimal: 5 -> "5.0", 21.349 -> "21.3".
def fixed1: (. * 10 | round) as $n | ($n | if . < 0 then -. else . end) as $a
  | "\(if $n < 0 then "-" else "" end)\($a / 10 | floor).\($a % 10)";
# A window's start (epoch ms) as UTC time of day.
def clock: . / 1000 | strftime("%H:%M:%S");

# An array of window documents as a table: one row per key, one column per window,
# `cell` (applied to the key's entry {"key", "count", ...}) in each cell, "-" where the
# key has no record in that window.
def matrix(cell):
  . as $docs
  | ([$docs[].keys[].key] | unique) as $keys
  | [$docs[] | (reduce .keys[] as $k ({}; .[$k.key] = ($k | cell | tostring)))] as $cells
  | ([$keys[] | length] + [0] | max + 2) as $kw
  | ([$cells[][] | length] + [8] | max + 2) as $cw
  | ("" | rpad($kw)) + ([$docs[].window_start | clock | lpad($cw)] | join("")),
    ($keys[] as $k | ($k | rpad($kw)) + ([$cells[] | .[$k] // "-" | lpad($cw)] | join("")));

# Alerts over a stream of window documents (`alerts(inputs; 3; 20)` with jq -n: consume's,
# or tail's, live, as each window closes): a key whose count in a window exceeds $factor
# times its average per window before it, and is at least $min. One line per alert.
def alerts(windows; $factor; $min):
  foreach windows as $w ({windows: 0, sum: {}, out: []};
    .out = [.windows as $n | .sum as $sum | $w.keys[]
            | select($n > 0)
            | (($sum[.key] // 0) / $n) as $avg
            | select(.count >= $min and .count > $factor * $avg)
            | "ALERT \($w.window_start | clock) \(.key): \(.count) views in the window, "
              + "\(if $avg > 0 then "\(.count / $avg | fixed1)x" else "new since" end)"
              + " its average of \($avg | fixed1) per window"]
    | .windows += 1
    | reduce $w.keys[] as $k (.; .sum[$k.key] += $k.count);
    .out[]);
