#!/usr/bin/env python3
"""Scripts that list every shard's keys (KEYS, a SCAN loop, DBSIZE)
against a running server.

Usage: python3 benches/script_sweeps.py --port PORT [--keys N] [--rounds R]

N is 50,000 by default.

Loads N keys `other:i` and N/10 keys `del:i` (strings of 32 bytes), then
times, R times each: a script counting the keys of a pattern with KEYS
(`del:*`, N/10 keys), one counting them with a SCAN loop (MATCH, COUNT
1000), one calling DBSIZE (the other shards count theirs), and a delete-by-pattern script
(KEYS then DEL of each) after loading the `del:` keys again. On shardis
with several shards each of them runs in a transaction holding every
shard whole, with the matching keys copied to the script's shard
(`proxy/src/xtx/sweep.rs`); redis-server runs them in place. Prints
milliseconds per call (median of the rounds). The server is flushed
first: never point it at data you keep. Only 127.0.0.1; every loop is
bounded by N and R.
"""
import argparse
import statistics
import time

import redis

COUNT_KEYS = "return #redis.call('keys', ARGV[1])"
COUNT_SCAN = """
local c, n = '0', 0
repeat
  local r = redis.call('scan', c, 'MATCH', ARGV[1], 'COUNT', 1000)
  c = r[1]
  n = n + #r[2]
until c == '0'
return n
"""
DBSIZE = "return redis.call('dbsize')"
DELETE = """
local k = redis.call('keys', ARGV[1])
for i = 1, #k do redis.call('del', k[i]) end
return #k
"""


def load(r, prefix, n):
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"{prefix}:{i}", "v" * 32)
        if i % 1000 == 999:
            p.execute()
    p.execute()


def timed(fn, rounds):
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--keys", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.port)
    r.flushall()
    small = a.keys // 10
    load(r, "other", a.keys)
    load(r, "del", small)
    rows = []
    for name, body, arg in (("KEYS del:* (count)", COUNT_KEYS, "del:*"),
                            ("SCAN MATCH del:* loop (count)", COUNT_SCAN, "del:*"),
                            ("DBSIZE", DBSIZE, None)):
        args = [arg] if arg else []
        got = r.eval(body, 0, *args)
        rows.append((name, got, timed(lambda: r.eval(body, 0, *args), a.rounds)))
    deletes = []
    for _ in range(a.rounds):
        load(r, "del", small)
        t = time.perf_counter()
        got = r.eval(DELETE, 0, "del:*")
        deletes.append((time.perf_counter() - t) * 1000)
    rows.append(("delete by pattern (KEYS, DEL each)", got, statistics.median(deletes)))
    print(f"{a.keys + small} keys, {small} matching; ms per call, median of {a.rounds}")
    print("| script | reply | ms |")
    print("| --- | ---: | ---: |")
    for name, got, ms in rows:
        print(f"| {name} | {got} | {ms:.1f} |")


if __name__ == "__main__":
    main()
