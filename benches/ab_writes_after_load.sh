#!/bin/bash
# Writes after a load that active defragmentation settled (packed arenas,
# shardd/src/keyspace/pack.rs): 1M SETs of 16-byte keys with 32-byte values
# loaded with redis-cli --pipe, 12 s for the defrag pass, then
# redis-benchmark SET at P16 over 2M keys (half overwrites, half new keys:
# every slot's arena needs room again) and the defrag hits before and
# after. Two proxy builds alternating (before/after a change), each
# freshly started on 127.0.0.1:7605 with --appendonly no.
# Usage: benches/ab_writes_after_load.sh BEFORE_BIN AFTER_BIN [ROUNDS]
# Every proxy it starts is stopped by pid.
set -u
. "$(dirname "$0")/ab_lib.sh"
before=$1 after=$2 rounds=${3:-2}
port=7605
dir=$(mktemp -d)
python3 - > "$dir/load.resp" <<'PY'
import sys
out = sys.stdout.buffer
for i in range(1_000_000):
    out.write(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\n%s\r\n" % (i, b"x" * 32))
PY
hits() {
  redis-cli -p $port info stats | tr -d '\r' | sed -n 's/^active_defrag_hits://p'
}
measure() {
  redis-cli -p $port --pipe < "$dir/load.resp" > /dev/null
  sleep 12
  local h0 r
  h0=$(hits)
  r=$(timeout 300 redis-benchmark -p $port -c 50 -n 1500000 -r 2000000 -d 32 -P 16 -t set -q \
        2> /dev/null | grep -o "[0-9.]* requests per second")
  echo "round $2 $1: SET $r; defrag hits $h0 before, $(hits) after"
}
ab_rounds "$rounds" "$before" "$after" $port "$dir" measure
rm -rf "$dir"
