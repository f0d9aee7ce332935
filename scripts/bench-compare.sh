#!/usr/bin/env bash
# Compares two `q8bench bench --json` commands the only way this project's VMs allow: run them
# alternately, A B A B ..., and keep each one's best run of every row (config and test), since a
# single run can be twice as slow as the next when the machine's memory bandwidth changes.
#
#   scripts/bench-compare.sh ROUNDS 'COMMAND A' 'COMMAND B'
#   scripts/bench-compare.sh 3 'build/release/app/q8bench bench -m m.gguf --config q4 --json' \
#                              'build/release/app/q8bench bench -m m.gguf --config q4 --act a16 --json'
#
# Prints one JSON object: per row, A's and B's best tokens/s, every run's figure and B/A.
set -euo pipefail
if [[ $# -ne 3 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 ROUNDS 'COMMAND A' 'COMMAND B'" >&2
  exit 2
fi
rounds=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for side in a b; do
    cmd=$([[ $side == a ]] && echo "$2" || echo "$3")
    echo "round $r/$rounds, $side: $cmd" >&2
    bash -c "$cmd" >"$work/$side.$r.json"
  done
done
python3 - "$work" "$rounds" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = {"a": {}, "b": {}}
for side in runs:
    for r in range(1, rounds + 1):
        for row in json.load(open(f"{work}/{side}.{r}.json")):
            runs[side].setdefault(f'{row["config"]} {row["test"]}', []).append(row["avg_ts"])
out = []
for key in runs["a"]:
    a, b = runs["a"][key], runs["b"].get(key, [])
    entry = {"row": key, "a_best_ts": max(a), "a_runs": a}
    if b:
        entry.update({"b_best_ts": max(b), "b_runs": b, "b_over_a": max(b) / max(a)})
    out.append(entry)
print(json.dumps({"rounds": rounds, "rows": out}, indent=2))
PY
