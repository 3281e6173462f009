#!/usr/bin/env python3
"""Scaling: how fast slots move, and what clients see meanwhile.

A proxy with one shard gets `--keys` strings (16-byte keys, 32-byte
values) through `redis-cli --pipe`. Then:
  steady:  redis-benchmark GET (-c 50, -P 1, random keys of the set) alone;
  moving:  the same while `SHARDIS SCALE 2` moves half the slots (and
           about half the keys) to a new shard;
  alone:   `SHARDIS SCALE 1` moves them back with no client load: keys
           moved per second of the scale, all steps counted (the new or
           emptied shard's start and stop too).
For each: requests per second and p99 of the GETs, and for the moves the
keys moved, the time and the rate; medians of `--rounds` runs. The GETs
of the moving run start with the scale; if they outlast it, their end
runs at steady state (the table says how long each took).

Run through `ops/bench --scale` (or directly with --proxy-bin).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import emit, now_utc, start_shardis  # noqa: E402


def load(port, n):
    def chunks():
        buf = []
        for i in range(n):
            k = b"key:%012d" % i
            v = b"v" * 32
            buf.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$32\r\n%s\r\n" % (k, v))
            if len(buf) == 100_000:
                yield b"".join(buf)
                buf = []
        if buf:
            yield b"".join(buf)

    for payload in chunks():
        p = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload,
                           capture_output=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"--pipe failed: {p.stdout[-300:]} {p.stderr[-300:]}")


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                         text=True, timeout=60)
    return out.stdout


def status(port):
    text = cli(port, "SHARDIS", "STATUS")
    return dict(l.split(":", 1) for l in text.replace("\r", "").splitlines() if ":" in l)


def scale(port, n, batch):
    """Asks for `n` shards and waits; (seconds, keys moved)."""
    before = int(status(port).get("scale_keys_moved", "0") or 0)
    t = time.monotonic()
    ok = cli(port, "SHARDIS", "SCALE", str(n), "BATCH", str(batch)).strip()
    if ok != "OK":
        raise RuntimeError(f"SHARDIS SCALE {n}: {ok}")
    deadline = t + 600
    while time.monotonic() < deadline:
        st = status(port)
        if st.get("scale_target") == "-" and st.get("shards") == str(n):
            secs = time.monotonic() - t
            outcome = st.get("last_outcome", "")
            keys = int(outcome.split(" slots and ")[1].split(" keys")[0]) if " keys moved" in outcome else 0
            return secs, keys
        time.sleep(0.02)
    raise RuntimeError("the scale did not end within 10 minutes")


def bench_get(port, n, keys):
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50", "-n", str(n),
         "-P", "1", "-r", str(keys), "-d", "32", "--csv", "-t", "get"],
        capture_output=True, text=True, timeout=600).stdout
    row = [l for l in out.splitlines() if l.startswith('"GET"')][0]
    cols = [c.strip('"') for c in row.split(",")]
    # "test","rps","avg","min","p50","p95","p99","max"
    return float(cols[1]), float(cols[6])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=64, help="slots per batch")
    ap.add_argument("--requests", type=int, default=200_000, help="GETs per benchmark run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rows = {"steady": [], "moving": [], "out": [], "back": []}
    for _ in range(a.rounds):
        with tempfile.TemporaryDirectory(prefix="shardis-scale-") as tmp:
            s = start_shardis(tmp, a.proxy_bin, 1, 1, appendfsync="everysec")
            try:
                load(s.port, a.keys)
                rows["steady"].append(bench_get(s.port, a.requests, a.keys))
                result = {}

                def move():
                    result["out"] = scale(s.port, 2, a.batch)

                t = threading.Thread(target=move)
                t.start()
                rows["moving"].append(bench_get(s.port, a.requests, a.keys))
                t.join()
                rows["out"].append(result["out"])
                rows["back"].append(scale(s.port, 1, a.batch))
                dbsize = int(cli(s.port, "DBSIZE").strip() or 0)
                if dbsize != a.keys:
                    raise RuntimeError(f"DBSIZE {dbsize} after the moves, {a.keys} loaded")
            finally:
                s.stop()

    def med(xs, i):
        return statistics.median(x[i] for x in xs)

    lines = [
        f"# Scaling: slot moves ({now_utc()}, {platform.node()}, {os.cpu_count()} cores)",
        "",
        f"{a.keys:,} strings (16-byte keys, 32-byte values), one proxy worker, "
        f"`appendfsync everysec`, batches of {a.batch} slots; medians of {a.rounds} rounds.",
        "",
        "| what | keys moved | seconds | keys/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in [("out", "1 -> 2 shards, under GET load"), ("back", "2 -> 1 shards, no load")]:
        secs, keys = med(rows[name], 0), med(rows[name], 1)
        lines.append(f"| {label} | {keys:,.0f} | {secs:.2f} | {keys / secs:,.0f} |")
    lines += [
        "",
        "| GET, -c 50 -P 1 | requests/s | p99 ms |",
        "| --- | ---: | ---: |",
        f"| steady (1 shard) | {med(rows['steady'], 0):,.0f} | {med(rows['steady'], 1):.3f} |",
        f"| during the 1 -> 2 move | {med(rows['moving'], 0):,.0f} | {med(rows['moving'], 1):.3f} |",
    ]
    emit(lines, a.out)


if __name__ == "__main__":
    main()
