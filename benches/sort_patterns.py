#!/usr/bin/env python3
"""SORT with BY/GET patterns over many keys (issue 14's SORT, whose
pattern keys land on every shard): time per SORT against a running server.

    python3 benches/sort_patterns.py PORT [N]

Loads a list `l` of N elements and N weights `w_<i>` (FLUSHALL first: use a
throw-away server), then times three commands once each:
`SORT l BY w_* LIMIT 0 5`, `SORT l BY w_* GET # GET w_* STORE dst`, and a
MULTI holding `SORT l BY w_* LIMIT 0 2` and `GET w_1`. Needs redis-py (the
CI venv has it: $TMPDIR/shardis-ci-venv/bin/python).
"""

import sys
import time

import redis


def main():
    port = int(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    r = redis.Redis(port=port, socket_timeout=120)
    r.flushall()
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.rpush("l", i)
        p.set(f"w_{i}", n - i)
        if i % 5000 == 4999:
            p.execute()
    p.execute()

    def timed(what, f):
        t = time.time()
        out = f()
        print(f"{what}: {time.time() - t:.3f} s")
        return out

    top = timed("SORT BY LIMIT 0 5", lambda: r.sort("l", by="w_*", start=0, num=5))
    assert top == [str(n - 1 - i).encode() for i in range(5)], top
    stored = timed(
        "SORT BY GET # GET STORE",
        lambda: r.sort("l", by="w_*", get=["#", "w_*"], store="dst"),
    )
    assert stored == 2 * n, stored

    def multi():
        p = r.pipeline(transaction=True)
        p.sort("l", by="w_*", start=0, num=2)
        p.get("w_1")
        return p.execute()

    out = timed("MULTI SORT BY + GET", multi)
    assert out[1] == str(n - 1).encode(), out


if __name__ == "__main__":
    main()
