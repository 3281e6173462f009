#!/usr/bin/env python3
"""Memory per key, redis-server (and valkey, with --valkey-bin) next to
shardis, on one machine in one run.

Three datasets, each loaded into a freshly started server with
`redis-cli --pipe`:
  strings: 1M keys of 16 bytes with 32-byte values;
  hashes:  100k hashes of 10 fields (8-byte fields, 16-byte values);
  zsets:   100k sorted sets of 10 members (8-byte members, integer scores);
  lists:   100k lists of 10 elements of 16 bytes (RPUSH);
  sets:    100k sets of 10 members of 8 bytes (not integers: SADD);
  streams: 1M stream entries over 10 streams (XADD * with one 6-byte field
           and a 16-byte value), "per key" meaning per entry.
For each, bytes per key = (after - before) / keys, from the resident
memory of every process of the server (for shardis: the proxy and all its
shards), summed as PSS so pages two processes share (shardis's rings) count
once, and from the server's own `used_memory` (for shardis: jemalloc's
allocated bytes in all its processes).

For shardis the report also accounts for where each byte per key goes,
from the deltas of its `INFO memory` (summed over the proxy and the
shards): the payload (key, field, member and value bytes as sent, a score
as 8 bytes), the slot arenas' live entries (header, key, inline string or
pointer to a boxed value), their dead and reserved bytes, the slot
tables (the index), other allocations (boxed values: hashes, sets, zsets,
lists; the expiry index; anything else), jemalloc's overhead (resident
minus allocated: free regions in partly used slabs, pages not yet
returned) and what lies beyond the allocator (the resident total, as
PSS, minus jemalloc's resident: ring pages the load touched, stacks,
the loader's connection buffers), so the columns from "allocated" on add
up to the resident total. The fixed memory of an empty process is outside the deltas.

With --marginal each server is started again and loaded in two halves:
the resident growth over the second half per key, the memory a key adds
to a running server (what the first keys cost once, such as code paged
in, is left out for every server alike).

Run through `ops/bench --memory` (or directly with --proxy-bin).
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import emit, now_utc, start_redis, start_shardis, start_valkey  # noqa: E402


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def payload_bytes(name):
    """Bytes of data per key as sent: key, fields, members, values (a
    score as 8 bytes); None where a key is not the unit (streams)."""
    return {"strings": 16 + 32, "hashes": 16 + 10 * (8 + 16), "zsets": 16 + 10 * (8 + 8),
            "lists": 16 + 10 * 16, "sets": 16 + 10 * 8}.get(name)


def dataset(name, n, start=0):
    """The RESP stream that loads dataset `name` with `n` keys (keys
    `start` to `n - 1`: the rest of a dataset whose first keys are in)."""
    chunks = []
    if name == "strings":
        value = b"v" * 32
        for i in range(start, n):
            chunks.append(resp(b"SET", b"key:%012d" % i, value))
    elif name == "hashes":
        for i in range(start, n):
            args = [b"HSET", b"hash:%011d" % i]
            for f in range(10):
                args += [b"field:%02d" % f, b"value:%010d" % (i * 10 + f)]
            chunks.append(resp(*args))
    elif name == "lists":
        for i in range(start, n):
            args = [b"RPUSH", b"list:%011d" % i]
            args += [b"element:%08d" % (i * 10 + e) for e in range(10)]
            chunks.append(resp(*args))
    elif name == "sets":
        for i in range(start, n):
            args = [b"SADD", b"set:%012d" % i]
            args += [b"mb:%05d" % ((i + m) % 100000) for m in range(10)]
            chunks.append(resp(*args))
    elif name == "streams":
        for i in range(start, n):
            chunks.append(resp(b"XADD", b"stream:%d" % (i % 10), b"*", b"sensor",
                               b"value:%010d" % i))
    elif name == "zsets":
        for i in range(start, n):
            args = [b"ZADD", b"zset:%011d" % i]
            for m in range(10):
                args += [str(i % 1000 + m).encode(), b"memb:%03d" % m]
            chunks.append(resp(*args))
    return b"".join(chunks)


def info_memory(port):
    """The integer fields of `INFO memory`."""
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"],
                         capture_output=True, text=True, timeout=60).stdout
    fields = {}
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        try:
            fields[k] = int(v)
        except ValueError:
            pass
    return fields


def info_used_memory(port):
    return info_memory(port).get("used_memory")


ACCOUNT = ["keyspace_entries_bytes", "keyspace_dead_bytes", "keyspace_slack_bytes",
           "keyspace_index_bytes", "used_memory", "allocator_resident"]


def dbsize(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "DBSIZE"], capture_output=True,
                         text=True, timeout=60).stdout.strip()
    return int(out or 0)


def settle(s, least=3.0, most=30.0):
    """Waits until the server's memory is settled after a load: at least
    `least` seconds, then until its resident memory moved by under 0.5%
    over a second and no shard has an active defragmentation pass under
    way (shardis moves its slot arenas out of sparse slabs in the
    background, and jemalloc returns the emptied pages within about a
    second), at most `most` seconds. redis-server (activedefrag off by
    default) is waited for the same way."""
    t0 = time.time()
    time.sleep(least)
    last = s.rss_bytes()
    while time.time() - t0 < most:
        time.sleep(1.0)
        rss = s.rss_bytes()
        running = info_memory(s.port).get("active_defrag_running", 0)
        if not running and abs(rss - last) <= last * 0.005:
            return
        last = rss


def measure(start, name, n, payload):
    s = start()
    try:
        time.sleep(0.5)
        mem0 = info_memory(s.port)
        rss0, used0 = s.rss_bytes(), mem0.get("used_memory")
        load(s, payload)
        got = dbsize(s.port)
        if name == "streams":
            got = sum(int(subprocess.run(["redis-cli", "-p", str(s.port), "XLEN", f"stream:{i}"],
                                         capture_output=True, text=True, timeout=60).stdout or 0)
                      for i in range(min(n, 10)))
        if got != n:
            raise RuntimeError(f"{s.name}: {got} keys after loading {n}")
        settle(s)
        mem1 = info_memory(s.port)
        rss1, used1 = s.rss_bytes(), mem1.get("used_memory")
        used = (used1 - used0) / n if used0 is not None and used1 is not None else None
        account = None
        if all(k in mem0 and k in mem1 for k in ACCOUNT):
            account = {k: (mem1[k] - mem0[k]) / n for k in ACCOUNT}
            account["resident"] = (rss1 - rss0) / n
        return s.name, (rss1 - rss0) / n, used, account
    finally:
        s.stop()


def load(s, payload):
    p = subprocess.run(["redis-cli", "-p", str(s.port), "--pipe"], input=payload,
                       capture_output=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"--pipe failed: {p.stdout[-500:]} {p.stderr[-500:]}")


def measure_marginal(start, name, n):
    """Resident bytes per key of the second half of a load: the first
    `n / 2` keys, settle, the rest, settle; the growth over the second
    half divided by its keys. What the first keys cost once (code paged
    in, buffers, tables sized for a first use) is outside it, for every
    server alike: the memory a key adds to a running server."""
    s = start()
    try:
        half = n // 2
        load(s, dataset(name, half))
        settle(s)
        rss_half = s.rss_bytes()
        load(s, dataset(name, n, half))
        if name != "streams" and dbsize(s.port) != n:
            raise RuntimeError(f"{s.name}: {dbsize(s.port)} keys after loading {n}")
        settle(s)
        return s.name, (s.rss_bytes() - rss_half) / (n - half)
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the key counts")
    ap.add_argument("--datasets", default="strings,hashes,zsets,lists,sets,streams")
    ap.add_argument("--valkey-bin", help="valkey-server to measure beside redis-server")
    ap.add_argument("--marginal", action="store_true",
                    help="also measure each server again in two halves: the bytes a key adds "
                         "to a running server, its fixed costs left out (measure_marginal)")
    ap.add_argument("--out")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="shardis-mem-")
    rows = []
    marginal = []
    accounts = {}
    sizes = {"strings": 1_000_000, "hashes": 100_000, "zsets": 100_000, "lists": 100_000,
             "sets": 100_000, "streams": 1_000_000}
    for name in a.datasets.split(","):
        n = max(1, int(sizes[name] * a.scale))
        payload = dataset(name, n)
        starts = [lambda: start_redis(tmp, "redis")]
        if a.valkey_bin:
            starts.append(lambda: start_valkey(tmp, a.valkey_bin))
        starts.append(lambda: start_shardis(tmp, a.proxy_bin, a.shards, 0))
        for start in starts:
            server, rss, used, account = measure(start, name, n, payload)
            rows.append((name, n, server, rss, used))
            if a.marginal:
                marginal.append((name, n) + measure_marginal(start, name, n))
            if account:
                accounts[name] = account
            print(f"{name:8} {n:>8} keys {server:13} resident {rss:8.1f} B/key  used_memory "
                  f"{'n/a' if used is None else f'{used:.1f}'} B/key", file=sys.stderr, flush=True)
    when = now_utc()
    lines = [f"Run of {when} on {platform.node()}, shardis with {a.shards} shards "
             "(resident memory summed as PSS over the proxy and its shards).", "",
             "| dataset | keys | redis-server resident B/key | "
             + ("valkey resident B/key | " if a.valkey_bin else "")
             + "shardis resident B/key | shardis/redis | "
             + ("shardis/valkey | " if a.valkey_bin else "")
             + "redis used_memory B/key | shardis used_memory B/key |",
             "| --- | --- | --- | " + ("--- | --- | " if a.valkey_bin else "")
             + "--- | --- | --- | --- |"]
    for name in a.datasets.split(","):
        r = {srv: (n, rss, used) for (nm, n, srv, rss, used) in rows if nm == name}
        if "redis-server" not in r or "shardis" not in r:
            continue
        n, rrss, rused = r["redis-server"]
        _, srss, sused = r["shardis"]
        fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
        vk, vratio = "", ""
        if a.valkey_bin and "valkey" in r:
            vrss = r["valkey"][1]
            vk, vratio = f"{vrss:.1f} | ", f"{srss / vrss:.2f}x | "
        lines.append(f"| {name} | {n} | {rrss:.1f} | {vk}{srss:.1f} | {srss / rrss:.2f}x | "
                     f"{vratio}{fmt(rused)} | {fmt(sused)} |")
    if marginal:
        servers = [srv for srv in ("redis-server", "valkey", "shardis")
                   if any(m[2] == srv for m in marginal)]
        lines += ["", "Resident bytes a key adds to a running server (`--marginal`: the "
                  "second half of the same load, after the first half settled):", "",
                  "| dataset | keys | " + " | ".join(f"{srv} B/key" for srv in servers)
                  + " | shardis/redis | " + ("shardis/valkey |" if "valkey" in servers else ""),
                  "| --- | --- | " + " | ".join("---" for _ in servers) + " | --- | "
                  + ("--- |" if "valkey" in servers else "")]
        for name in a.datasets.split(","):
            m = {srv: v for (nm, _, srv, v) in marginal if nm == name}
            if "redis-server" not in m or "shardis" not in m:
                continue
            n = next(k for (nm, k, _, _) in marginal if nm == name)
            ratio_v = f"{m['shardis'] / m['valkey']:.2f}x |" if "valkey" in m else ""
            lines.append(f"| {name} | {n} | " + " | ".join(f"{m[srv]:.1f}" for srv in servers)
                         + f" | {m['shardis'] / m['redis-server']:.2f}x | " + ratio_v)
    if accounts:
        lines += ["", "Where shardis's bytes per key go (deltas of `INFO memory` over the load; "
                  "the payload is the data as sent):", "",
                  "| dataset | payload | arena entries | arena dead + reserved | slot tables "
                  "| other allocations | allocated | jemalloc overhead | beyond jemalloc "
                  "| resident (PSS) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, acc in accounts.items():
            arenas = acc["keyspace_entries_bytes"] + acc["keyspace_dead_bytes"] + \
                acc["keyspace_slack_bytes"]
            other = acc["used_memory"] - arenas - acc["keyspace_index_bytes"]
            pay = payload_bytes(name)
            lines.append(
                f"| {name} | {'n/a' if pay is None else pay} | "
                f"{acc['keyspace_entries_bytes']:.1f} | "
                f"{acc['keyspace_dead_bytes'] + acc['keyspace_slack_bytes']:.1f} | "
                f"{acc['keyspace_index_bytes']:.1f} | {other:.1f} | {acc['used_memory']:.1f} | "
                f"{acc['allocator_resident'] - acc['used_memory']:.1f} | "
                f"{acc['resident'] - acc['allocator_resident']:.1f} | "
                f"{acc['resident']:.1f} |")
    emit(lines, a.out)


if __name__ == "__main__":
    main()
