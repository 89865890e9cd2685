#!/bin/sh
# lang-cost.sh - what languages cost the story level (issue 13): the same
# pages clustered by dedup-cluster with identification (the default) and
# without (--no-langid: everything English, still stemmed), and, when a
# second dedup-cluster built before languages is given (plural folding,
# no identification), by that one too.  Medians of RUNS (default 3)
# runs at one thread, all in one go so the ratios share the machine's
# state.
#
#   bench/lang-cost.sh DEDUP_CLUSTER FOLDER [BASELINE_DEDUP_CLUSTER]
#
# FOLDER holds the pages (*.txt, read with -r).
set -eu
cli=$1 dir=$2 base=${3:-}
runs=${RUNS:-3}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
time_of() { # time_of CLI ARGS...: wall seconds of one run
  c=$1
  shift
  s=$(date +%s.%N)
  "$c" --threads 1 -q -r "$@" "$dir" >/dev/null
  e=$(date +%s.%N)
  echo "$s $e" | awk '{printf "%.3f\n", $2 - $1}'
}
: >/tmp/lang-cost.$$
for i in $(seq "$runs"); do
  echo "langid $(time_of "$cli")" >>/tmp/lang-cost.$$
  echo "no-langid $(time_of "$cli" --no-langid)" >>/tmp/lang-cost.$$
  [ -z "$base" ] || echo "baseline $(time_of "$base")" >>/tmp/lang-cost.$$
done
for k in langid no-langid baseline; do
  m=$(awk -v k="$k" '$1 == k {print $2}' /tmp/lang-cost.$$ | median)
  [ -n "$m" ] && printf '%-10s %s s\n' "$k" "$m"
done | tee /tmp/lang-cost-med.$$
awk '{t[$1]=$2} END {
  if (t["no-langid"] > 0)
    printf "identification: %+.1f%%\n", 100 * (t["langid"] / t["no-langid"] - 1)
  if (t["baseline"] > 0)
    printf "identification and stems against the baseline: %+.1f%%\n",
           100 * (t["langid"] / t["baseline"] - 1)
}' /tmp/lang-cost-med.$$
rm -f /tmp/lang-cost.$$ /tmp/lang-cost-med.$$
