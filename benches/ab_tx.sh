#!/bin/bash
# Transactions over both shards, unpipelined (loadgen's `rename` and
# `tx --tx-sets 2` workloads with --spread 1: every RENAME and every MULTI
# of 2 SETs spans both shards), from 1 connection (a transaction's
# latency) and from 50, two proxy builds alternating (before/after a
# change), each freshly started on 127.0.0.1:7604 with --appendonly no.
# Usage: benches/ab_tx.sh BEFORE_BIN AFTER_BIN [ROUNDS] [LOADGEN_BIN]
# Every proxy it starts is stopped by pid.
set -u
. "$(dirname "$0")/ab_lib.sh"
before=$1 after=$2 rounds=${3:-2} loadgen=${4:-target/release/loadgen}
port=7604
dir=$(mktemp -d)
measure() {
  for conns in 1 50; do
    for workload in "rename" "tx --tx-sets 2"; do
      # shellcheck disable=SC2086
      r=$(timeout 120 "$loadgen" --port $port --conns $conns --requests 20000 --pipeline 1 \
            --workload $workload --spread 1 --seconds 20)
      echo "round $2 conns $conns $workload $1: $r"
    done
  done
}
ab_rounds "$rounds" "$before" "$after" $port "$dir" measure
rm -rf "$dir"
