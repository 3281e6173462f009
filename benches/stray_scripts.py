#!/usr/bin/env python3
"""Scripts that reach keys they do not declare, on other shards (job
queues' scripts without a hash tag), against a running server.

Usage: python3 benches/stray_scripts.py --port PORT [-n CALLS]

Two scripts, each run CALLS times, one call at a time (P1) and then all
pipelined on one connection:
  spread:    INCR of KEYS[1] (one of 50 queue keys) and of two undeclared
             keys named after the call (`job:i`, `job:i:x`), so most calls
             reach other shards and no two calls share those keys;
  contended: INCR of KEYS[1] and of four undeclared keys every call
             shares (a queue's lists and stream), plus `job:i`: the calls
             take turns on the same keys;
  queue:     a job queue's enqueue without a hash tag: LPUSH on a wait
             list and XADD on an events stream (MAXLEN ~ 10000) that
             grow with every call, INCR of an id, HSET of the job's hash:
             the values the calls share grow, so copying them costs more
             with every call.
Prints microseconds per call. The server is flushed first: never point it
at data you keep. Only 127.0.0.1.
"""
import argparse
import time

import redis
from untagged_queue import ENQUEUE as QUEUE  # beside this file

SCRIPT = "redis.call('INCR', KEYS[1]) for i=1,#ARGV do redis.call('INCR', ARGV[i]) end return 1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=2000)
    a = ap.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.port)
    r.flushall()
    s = r.register_script(SCRIPT)
    q = r.register_script(QUEUE)
    shared = ["q:events", "q:delayed", "q:wait", "q:id"]
    cases = {
        "spread": lambda i: (["jobq:%d" % (i % 50)], ["job:%d" % i, "job:%d:x" % i]),
        "contended": lambda i: (["q:meta"], shared + ["job:%d" % i]),
        "queue": lambda i: (["bull:q:id"], ["bull:q:", "x" * 64, str(i)]),
    }
    for name, args in cases.items():
        script = q if name == "queue" else s
        for mode in ("P1", "pipelined"):
            r.flushall()
            t = time.time()
            if mode == "P1":
                for i in range(a.n):
                    keys, argv = args(i)
                    script(keys=keys, args=argv)
            else:
                p = r.pipeline(transaction=False)
                for i in range(a.n):
                    keys, argv = args(i)
                    script(keys=keys, args=argv, client=p)
                p.execute()
            us = (time.time() - t) / a.n * 1e6
            print("%-9s %-9s %8.1f us/call" % (name, mode, us))


if __name__ == "__main__":
    main()
