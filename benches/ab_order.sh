#!/bin/bash
# Pipelined EVALSHA of a 1-call script whose keys are anywhere (loadgen's
# `evalsha` workload, --spread 0: each call's keys on one shard, the calls
# over every shard), 50 connections at pipeline 1 and 16, two proxy builds
# alternating (before/after a change), each freshly started on
# 127.0.0.1:7603 with --appendonly no. Measures what holding a pipeline's
# commands behind its script calls costs (proxy/src/behind.rs).
# Usage: benches/ab_order.sh BEFORE_BIN AFTER_BIN [ROUNDS] [LOADGEN_BIN]
# Every proxy it starts is stopped by pid.
set -u
. "$(dirname "$0")/ab_lib.sh"
before=$1 after=$2 rounds=${3:-2} loadgen=${4:-target/release/loadgen}
port=7603
dir=$(mktemp -d)
measure() {
  for p in 1 16; do
    r=$(timeout 120 "$loadgen" --port $port --conns 50 --requests 300000 --pipeline $p \
          --workload evalsha --tx-sets 1 --spread 0 --seconds 20)
    echo "round $2 P$p $1: $r"
  done
}
ab_rounds "$rounds" "$before" "$after" $port "$dir" measure
rm -rf "$dir"
