#!/bin/bash
# EVALSHA of a padded 1-call script at P16, two proxy builds alternating
# (before/after a change), each freshly started on 127.0.0.1:7602 with
# --appendonly no. Usage: benches/ab_evalsha.sh BEFORE_BIN AFTER_BIN [ROUNDS] [BYTES]
# Needs redis-cli and redis-benchmark. Every proxy it starts is stopped by pid.
set -u
. "$(dirname "$0")/ab_lib.sh"
before=$1 after=$2 rounds=${3:-4} bytes=${4:-4046}
port=7602
call="return redis.call('set', KEYS[1], ARGV[1])"
pad=$((bytes - ${#call} - 4))
body="-- $(head -c $((pad > 0 ? pad : 0)) /dev/zero | tr '\0' 'x')
$call"
dir=$(mktemp -d)
measure() {
  sha=$(redis-cli -p $port script load "$body")
  r=$(timeout 300 redis-benchmark -p $port -c 50 -n 300000 -P 16 -r 100000 -q \
        evalsha "$sha" 1 key:__rand_int__ xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 2>&1 \
      | tr '\r' '\n' | grep "requests per second" | tail -1 | sed 's/.*: //')
  echo "round $2 $1 (${#body}-byte script): $r"
}
ab_rounds "$rounds" "$before" "$after" $port "$dir" measure
rm -rf "$dir"
