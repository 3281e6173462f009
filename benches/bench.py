#!/usr/bin/env python3
"""Side-by-side load benchmark: redis-server, twemproxy over N redis-servers,
and shardis with N shards, on one machine in one run.

Run through `ops/bench` (which builds the release binaries first). Every
server gets its own port on 127.0.0.1 with persistence off. Workloads run
interleaved (server by server inside each round), for several rounds; the
report gives each figure's median over the rounds, and the ratios
shardis/redis-server and shardis/twemproxy.

Output: a Markdown report (stdout, and --out FILE), a JSON file of every
raw figure (--json), and an SVG plot (--svg).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = {
    "SET": ["-t", "set"],
    "GET": ["-t", "get"],
    "INCR": ["-t", "incr"],
    "LPUSH": ["-t", "lpush"],
    "HSET": ["-t", "hset"],
    "MSET10": ["mset"] + ["key:__rand_int__", "x" * 32] * 10,
    "MGET10": ["mget"] + ["key:__rand_int__"] * 10,
}
DEFAULT_WORKLOADS = list(WORKLOADS)
# GEO, run only when named (--workloads GEOADD,GEOSEARCH, in that order:
# GEOADD fills the keys GEOSEARCH reads): points on random keys, a few
# per key, and a 5 km radius search around them with distances.
WORKLOADS.update({
    "GEOADD": ["geoadd", "geo:__rand_int__", "13.361389", "38.115556", "m:__rand_int__"],
    "GEOSEARCH": ["geosearch", "geo:__rand_int__", "fromlonlat", "13.36", "38.11", "byradius",
                  "5", "km", "asc", "withdist"],
})
# Small hashes, sorted sets, sets and lists, run only when named
# (--workloads HSETS,HGETS, ZADDS,ZSCORES, SADDS,SISMEMBERS or
# RPUSHS,LINDEXS, in that order): a field set (a member added, an element
# pushed) in one of 100,000 (a few each: the packed, inline form), then
# one read back.
WORKLOADS.update({
    "HSETS": ["hset", "hash:__rand_int__", "field:__rand_int__", "x" * 16],
    "HGETS": ["hget", "hash:__rand_int__", "field:__rand_int__"],
    "ZADDS": ["zadd", "zset:__rand_int__", "__rand_int__", "member:__rand_int__"],
    "ZSCORES": ["zscore", "zset:__rand_int__", "member:__rand_int__"],
    "SADDS": ["sadd", "set:__rand_int__", "member:__rand_int__"],
    "SISMEMBERS": ["sismember", "set:__rand_int__", "member:__rand_int__"],
    "RPUSHS": ["rpush", "list:__rand_int__", "element:__rand_int__"],
    "LINDEXS": ["lindex", "list:__rand_int__", "0"],
})
# Streams, run only when named (--workloads XADD,XRANGE, in that order):
# entries appended to random streams, then the first 10 of one read back.
WORKLOADS.update({
    "XADD": ["xadd", "stream:__rand_int__", "*", "sensor", "x" * 16],
    "XRANGE": ["xrange", "stream:__rand_int__", "-", "+", "count", "10"],
})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline_s=30.0, proc=None):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered PING on port {port}")


class Server:
    """A started system under test: its port and every pid it owns."""

    def __init__(self, name, port, procs):
        self.name, self.port, self.procs = name, port, procs

    def pids(self):
        """Pids of the processes and their children (shardis's shards)."""
        out = []
        for p in self.procs:
            out.append(p.pid)
            try:
                for t in os.listdir(f"/proc/{p.pid}/task"):
                    with open(f"/proc/{p.pid}/task/{t}/children") as f:
                        out += [int(c) for c in f.read().split()]
            except OSError:
                pass
        return out

    def rss_bytes(self):
        """Memory of all the server's processes: the sum of their PSS
        (shared pages, like shardis's rings mapped by the proxy and a
        shard, counted once), or of their RSS where PSS is unknown."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    pss = [int(l.split()[1]) * 1024 for l in f if l.startswith("Pss:")]
                if pss:
                    total += pss[0]
                    continue
            except OSError:
                pass
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * 4096
            except OSError:
                pass
        return total

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def start_redis(tmp, name, port=None, appendfsync=None, prefix=(), deadline_s=30.0, extra=()):
    port = port or free_port()
    aof = ["--appendonly", "no"]
    if appendfsync:
        aof = ["--appendonly", "yes", "--appendfsync", appendfsync]
    data = tempfile.mkdtemp(prefix=f"{name}-", dir=tmp)
    p = subprocess.Popen(
        list(prefix) +
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""] + aof +
        ["--dir", data, "--logfile", os.path.join(tmp, f"{name}.log")] + list(extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, deadline_s=deadline_s, proc=p)
    return Server("redis-server", port, [p])


def start_valkey(tmp, valkey_bin, appendfsync=None):
    """valkey-server (built from ../shared/peers by ops/bench), with the
    same settings as redis-server."""
    port = free_port()
    aof = ["--appendonly", "no"]
    if appendfsync:
        aof = ["--appendonly", "yes", "--appendfsync", appendfsync]
    data = tempfile.mkdtemp(prefix="valkey-", dir=tmp)
    p = subprocess.Popen(
        [valkey_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", ""] + aof +
        ["--dir", data, "--logfile", os.path.join(tmp, "valkey.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc=p)
    return Server("valkey", port, [p])


def start_twemproxy(tmp, shards):
    backends = [start_redis(tmp, f"twem-backend-{i}") for i in range(shards)]
    port = free_port()
    conf = os.path.join(tmp, "nutcracker.yml")
    with open(conf, "w") as f:
        f.write("bench:\n  listen: 127.0.0.1:%d\n  hash: fnv1a_64\n  distribution: ketama\n"
                "  redis: true\n  auto_eject_hosts: false\n  server_connections: 1\n  servers:\n" % port)
        for b in backends:
            f.write(f"   - 127.0.0.1:{b.port}:1\n")
    p = subprocess.Popen(["nutcracker", "-c", conf, "-s", str(free_port()), "-o",
                          os.path.join(tmp, "nutcracker.log")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("twemproxy", port, [p] + [q for b in backends for q in b.procs])
    try:
        wait_port(port, proc=p)
    except RuntimeError:
        server.stop()
        raise
    return server


def start_shardis(tmp, proxy_bin, shards, workers, appendfsync=None, prefix=(),
                  deadline_s=30.0, name="shardis", extra=()):
    port = free_port()
    data = tempfile.mkdtemp(prefix="shardis-data-", dir=tmp)
    args = list(prefix) + [proxy_bin, "--port", str(port), "--dir", data]
    if shards:
        args += ["--shards", str(shards)]
    if appendfsync:
        args += ["--appendonly", "yes", "--appendfsync", appendfsync]
    else:
        args += ["--appendonly", "no"]
    if workers:
        args += ["--workers", str(workers)]
    args += list(extra)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, "shardis.log"), "w"))
    try:
        wait_port(port, deadline_s=deadline_s, proc=p)
    except RuntimeError:
        # An older proxy without --appendonly: start it without the flag.
        p.kill()
        p.wait()
        args = [a for a in args if a not in ("--appendonly", "no")]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(tmp, "shardis.log"), "w"))
        wait_port(port, proc=p)
    return Server(name, port, [p])


PCT_LINE = re.compile(r"^\s*([0-9.]+)% <= ([0-9.]+) milliseconds")
SUMMARY = re.compile(r"throughput summary: ([0-9.]+) requests per second")


def run_benchmark(server, workload, pipeline, n, clients, keyspace, size, extra=()):
    args = list(WORKLOADS[workload])
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(clients),
           "-n", str(n), "-r", str(keyspace), "-d", str(size), "-P", str(pipeline)] + \
        list(extra) + args
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    rps = None
    pcts = []
    in_pct = False
    summary_lat = None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Latency by percentile distribution"):
            in_pct = True
            continue
        if line.startswith("Cumulative distribution"):
            in_pct = False
        if in_pct:
            m = PCT_LINE.match(line)
            if m:
                pcts.append((float(m.group(1)), float(m.group(2))))
        m = SUMMARY.search(line)
        if m:
            rps = float(m.group(1))
        if "avg       min       p50" in line and i + 1 < len(lines):
            vals = lines[i + 1].split()
            summary_lat = {"p50": float(vals[2]), "p95": float(vals[3]), "p99": float(vals[4])}
    if rps is None or summary_lat is None:
        raise RuntimeError(f"could not read redis-benchmark output for {cmd}:\n{out[-2000:]}")

    def pct(p):
        for q, ms in pcts:
            if q >= p:
                return ms
        return pcts[-1][1] if pcts else float("nan")

    return {"rps": rps, **summary_lat, "p99.9": pct(99.9)}


def run_loadgen(server, loadgen, args):
    cmd = [loadgen, "--port", str(server.port)] + args
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def flush(server):
    subprocess.run(["redis-cli", "-p", str(server.port), "FLUSHALL"], capture_output=True,
                   timeout=60)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def medians(raw):
    """Per key, the median of each figure over the rounds."""
    return {k: {m: median([r[m] for r in v]) for m in v[0]} for k, v in raw.items()}


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def emit(lines, out):
    """Prints the report's lines and writes them to `out` if given."""
    report = "\n".join(lines) + "\n"
    print(report)
    if out:
        with open(out, "w") as f:
            f.write(report)


def fmt_rps(x):
    return f"{x / 1000:.0f}k" if x == x else "n/a"


def ratio(a, b):
    return f"{a / b:.2f}x" if b and a == a and b == b else "n/a"


def axes(parts, x0, y0, pw, ph, title, top, label):
    """A panel's title, axes and five y ticks from 0 to `top`."""
    parts.append(f'<text x="{x0}" y="20" font-size="14">{title}</text>')
    parts.append(f'<line x1="{x0}" y1="{y0 + ph}" x2="{x0 + pw}" y2="{y0 + ph}" stroke="black"/>')
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + ph}" stroke="black"/>')
    for k in range(5):
        y = y0 + ph - ph * k / 4
        parts.append(f'<text x="{x0 - 5}" y="{y + 4}" text-anchor="end">{label(top * k / 4)}</text>')


def svg_plot(results, servers, pipelines, path):
    """Two panels: GET/SET throughput by pipeline depth; latency at P1."""
    colors = {"redis-server": "#d62728", "valkey": "#2ca02c", "twemproxy": "#7f7f7f",
              "shardis": "#1f77b4", "shardis-before": "#9ecae1"}
    w, h = 900, 380
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             'font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>']
    # Panel 1: throughput (median rps) for GET and SET by pipeline depth.
    x0, y0, pw, ph = 60, 40, 360, 280
    vals = [results[(s, wl, p)]["rps"] for s in servers for wl in ("GET", "SET")
            for p in pipelines if (s, wl, p) in results]
    top = max(vals) * 1.1 if vals else 1
    axes(parts, x0, y0, pw, ph, "Throughput (req/s) by pipeline depth", top,
         lambda v: f"{v / 1e6:.1f}M")
    xs = {p: x0 + pw * (i + 0.5) / len(pipelines) for i, p in enumerate(pipelines)}
    for p, x in xs.items():
        parts.append(f'<text x="{x}" y="{y0 + ph + 16}" text-anchor="middle">P{p}</text>')
    for s in servers:
        for wl, dash in (("GET", ""), ("SET", ' stroke-dasharray="5,3"')):
            pts = [(xs[p], y0 + ph - ph * results[(s, wl, p)]["rps"] / top)
                   for p in pipelines if (s, wl, p) in results]
            if pts:
                d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colors.get(s, "black")}" '
                             f'stroke-width="2"{dash}/>')
    ly = y0 + 10
    for s in servers:
        parts.append(f'<rect x="{x0 + 10}" y="{ly - 9}" width="10" height="10" fill="{colors.get(s)}"/>'
                     f'<text x="{x0 + 25}" y="{ly}">{s} (solid GET, dashed SET)</text>')
        ly += 15
    # Panel 2: GET/SET latency percentiles at P1.
    x0 = 500
    pcts = ["p50", "p95", "p99", "p99.9"]
    lat = [results[(s, wl, 1)][q] for s in servers for wl in ("GET", "SET") for q in pcts
           if (s, wl, 1) in results]
    top = max(lat) * 1.1 if lat else 1
    axes(parts, x0, y0, pw, ph, "Latency at P1 (ms), GET | SET", top, lambda v: f"{v:.2f}")
    groups = [(wl, q) for wl in ("GET", "SET") for q in pcts]
    gw = pw / len(groups)
    bw = gw / (len(servers) + 1)
    for gi, (wl, q) in enumerate(groups):
        gx = x0 + gi * gw
        parts.append(f'<text x="{gx + gw / 2}" y="{y0 + ph + 16}" text-anchor="middle" '
                     f'font-size="10">{q}</text>')
        for si, s in enumerate(servers):
            r = results.get((s, wl, 1))
            if not r:
                continue
            bh = ph * r[q] / top
            parts.append(f'<rect x="{gx + bw * (si + 0.5):.1f}" y="{y0 + ph - bh:.1f}" '
                         f'width="{bw:.1f}" height="{bh:.1f}" fill="{colors.get(s)}"/>')
    parts.append(f'<text x="{x0 + pw / 4}" y="{y0 + ph + 32}" text-anchor="middle">GET</text>')
    parts.append(f'<text x="{x0 + 3 * pw / 4}" y="{y0 + ph + 32}" text-anchor="middle">SET</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--loadgen-bin")
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-n", type=int, default=1_000_000, help="requests per redis-benchmark run")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--pipelines", default="1,16,64")
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                    help="also GEOADD,GEOSEARCH and XADD,XRANGE (not run by default)")
    ap.add_argument("--servers", default="redis-server,valkey,twemproxy,shardis",
                    help="valkey runs only with --valkey-bin (ops/bench builds one)")
    ap.add_argument("--valkey-bin", help="a valkey-server to run beside redis-server")
    ap.add_argument("--baseline-bin",
                    help="another proxy binary (an older build) run beside the others as "
                         "'shardis-before', with a shardis/before column")
    ap.add_argument("--fsync", action="store_true",
                    help="instead: SET at P16 with appendfsync always, everysec and no, "
                         "redis-server (AOF) next to shardis")
    ap.add_argument("--allocs", action="store_true",
                    help="instead: allocations per command in the proxy and the shards "
                         "(INFO stats around a P16 redis-benchmark run of each workload)")
    ap.add_argument("--tx", action="store_true",
                    help="transactions and cross-shard moves with loadgen: MULTI/EXEC of 2 and 10 "
                         "SETs on one shard and spread, RENAME and SMOVE across shards, at each "
                         "pipeline depth, beside redis-server")
    ap.add_argument("--scripts", action="store_true",
                    help="Lua scripts with loadgen: EVALSHA of a 1-call and a 5-call script on one "
                         "shard and a 5-call script over several, at each pipeline depth, beside "
                         "redis-server")
    ap.add_argument("--pubsub", action="store_true",
                    help="pub/sub and blocking pops with pubsub_bench (--pubsub-bin): PUBLISH to 1 "
                         "and to 100 subscribers (messages delivered per second) and BLPOP/LPUSH "
                         "ping-pong latency, beside redis-server")
    ap.add_argument("--tls", action="store_true",
                    help="instead: SET and GET over TLS at each pipeline depth, both servers "
                         "with a certificate made by openssl, redis-benchmark --tls")
    ap.add_argument("--pubsub-bin")
    ap.add_argument("--out")
    ap.add_argument("--json")
    ap.add_argument("--svg")
    a = ap.parse_args()
    pipelines = [int(p) for p in a.pipelines.split(",")]
    workloads = a.workloads.split(",")
    names = a.servers.split(",")
    tmp = tempfile.mkdtemp(prefix="shardis-bench-")
    if a.fsync:
        return fsync_matrix(a, tmp)
    if a.tls:
        return tls_table(a, tmp, pipelines)
    if a.allocs:
        return allocs_table(a, tmp, workloads)
    if a.tx:
        return tx_table(a, tmp, pipelines)
    if a.scripts:
        return tx_table(a, tmp, pipelines, SCRIPT_WORKLOADS)
    if a.pubsub:
        return pubsub_table(a, tmp)
    servers = []
    try:
        for name in names:
            if name == "redis-server":
                servers.append(start_redis(tmp, "redis"))
            elif name == "valkey" and a.valkey_bin:
                servers.append(start_valkey(tmp, a.valkey_bin))
            elif name == "twemproxy":
                servers.append(start_twemproxy(tmp, a.shards))
            elif name == "shardis":
                servers.append(start_shardis(tmp, a.proxy_bin, a.shards, a.workers))
        if a.baseline_bin:
            servers.append(start_shardis(tmp, a.baseline_bin, a.shards, a.workers,
                                         name="shardis-before"))
        raw = {}
        for rnd in range(a.rounds):
            for wl in workloads:
                for p in pipelines:
                    for s in rotated(servers, rnd):
                        r = run_benchmark(s, wl, p, a.n, a.clients, a.keyspace, a.size)
                        raw.setdefault((s.name, wl, p), []).append(r)
                        print(f"round {rnd + 1} {wl:7} P{p:<3} {s.name:13} {r['rps']:>12.0f} req/s "
                              f"p50 {r['p50']:.3f} p99 {r['p99']:.3f} p99.9 {r['p99.9']:.3f} ms",
                              file=sys.stderr, flush=True)
            if a.loadgen_bin:
                for s in servers:
                    r = run_loadgen(s, a.loadgen_bin, ["--conns", "400", "--requests", str(a.n),
                                                       "--read-ratio", "0.8", "--keys",
                                                       str(a.keyspace), "--size", str(a.size)])
                    raw.setdefault((s.name, "MIXED", 1), []).append(r)
                    print(f"round {rnd + 1} MIXED   400 conns {s.name:13} {r['rps']:>12.0f} req/s "
                          f"p99 {r['p99']:.3f} ms", file=sys.stderr, flush=True)
            for s in servers:
                flush(s)
        res = medians(raw)
        lines = []
        when = now_utc()
        lines.append(f"Run of {when} on {platform.node()} ({os.cpu_count()} cores), "
                     f"redis-benchmark -c {a.clients} -n {a.n} -r {a.keyspace} -d {a.size}, "
                     f"{a.shards} shards (twemproxy: {a.shards} redis-servers), "
                     f"median of {a.rounds} rounds.")
        lines.append("")
        have = [s.name for s in servers]
        head = "| workload | P | " + " | ".join(f"{n} req/s" for n in have)
        if "shardis" in have and "redis-server" in have:
            head += " | shardis/redis"
        peers = [n for n in ("redis-server", "valkey") if n in have]
        if "shardis" in have and len(peers) > 1:
            head += " | shardis/best peer"
        if "shardis" in have and "twemproxy" in have:
            head += " | shardis/twemproxy"
        if "shardis" in have and "shardis-before" in have:
            head += " | shardis/before"
        head += " | " + " | ".join(f"{n} p50/p99/p99.9 ms" for n in have) + " |"
        lines.append(head)
        lines.append("|" + " --- |" * (head.count("|") - 1))
        keys = [(wl, p) for wl in workloads for p in pipelines]
        if a.loadgen_bin:
            keys.append(("MIXED", 1))
        for wl, p in keys:
            row = [wl if wl != "MIXED" else "mixed 80/20, 400 conns", str(p)]
            for n in have:
                row.append(fmt_rps(res.get((n, wl, p), {}).get("rps", float("nan"))))
            sh = res.get(("shardis", wl, p), {}).get("rps", float("nan"))
            if "shardis" in have and "redis-server" in have:
                row.append(ratio(sh, res.get(("redis-server", wl, p), {}).get("rps", float("nan"))))
            if "shardis" in have and len(peers) > 1:
                best = max(res.get((n, wl, p), {}).get("rps", float("nan")) for n in peers)
                row.append(ratio(sh, best))
            if "shardis" in have and "twemproxy" in have:
                row.append(ratio(sh, res.get(("twemproxy", wl, p), {}).get("rps", float("nan"))))
            if "shardis" in have and "shardis-before" in have:
                row.append(ratio(sh, res.get(("shardis-before", wl, p), {}).get("rps",
                                                                               float("nan"))))
            for n in have:
                r = res.get((n, wl, p))
                row.append(f"{r['p50']:.2f}/{r['p99']:.2f}/{r['p99.9']:.2f}" if r else "n/a")
            lines.append("| " + " | ".join(row) + " |")
        emit(lines, a.out)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"when": when, "args": vars(a),
                           "raw": {"|".join(map(str, k)): v for k, v in raw.items()}}, f, indent=1)
        if a.svg:
            svg_plot(res, have, pipelines, a.svg)
    finally:
        for s in servers:
            s.stop()


def trace_syncs(pids):
    """strace (all threads) of `pids`' fdatasync calls; None without strace."""
    if not pids or shutil.which("strace") is None:
        return None
    args = ["strace", "-f", "-tt", "-T", "-e", "trace=fdatasync"]
    for p in pids:
        args += ["-p", str(p)]
    t = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # attached before the load starts
    t.started = time.time()
    return t


SYNC_TRACE_MIN_S = 4.0
SYNC_LINE = re.compile(r"(\d+):(\d+):([0-9.]+) fdatasync\(.*<([0-9.]+)>")


def sync_times(tracer):
    """(time of day in s, duration in s) of each fdatasync strace saw,
    sorted by time; traces at least SYNC_TRACE_MIN_S so several syncs show."""
    time.sleep(max(0.0, SYNC_TRACE_MIN_S - (time.time() - tracer.started)))
    tracer.send_signal(signal.SIGINT)
    try:
        _, err = tracer.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        tracer.kill()
        _, err = tracer.communicate()
    out = []
    for line in err.splitlines():
        m = SYNC_LINE.search(line)
        if m:
            h, mi, sec, dur = m.groups()
            out.append((int(h) * 3600 + int(mi) * 60 + float(sec), float(dur)))
    return sorted(out)


def make_certs(tmp):
    """A CA and a server certificate for 127.0.0.1 (openssl); their paths."""
    ca_key, ca, key, csr, crt = (os.path.join(tmp, n) for n in
                                 ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    ext = os.path.join(tmp, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *c: subprocess.run(c, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=bench CA", "-keyout", ca_key, "-out", ca)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", key, "-out", csr)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "2", "-extfile", ext, "-out", crt)
    return ca, crt, key


def tls_table(a, tmp, pipelines):
    """SET and GET over TLS, redis-server and shardis, interleaved."""
    ca, crt, key = make_certs(tmp)
    tls_args = ["--tls-cert-file", crt, "--tls-key-file", key, "--tls-ca-cert-file", ca,
                "--tls-auth-clients", "no"]
    raw = {}
    for rnd in range(a.rounds):
        for name in ("redis-server", "shardis"):
            tls_port = free_port()
            extra = ["--tls-port", str(tls_port)] + tls_args
            if name == "redis-server":
                s = start_redis(tmp, "redis-tls", prefix=(), extra=extra)
            else:
                s = start_shardis(tmp, a.proxy_bin, a.shards, a.workers, extra=extra)
            tls_server = Server(name, tls_port, [])
            try:
                for p in pipelines:
                    for w in ("SET", "GET"):
                        r = run_benchmark(tls_server, w, p, a.n, a.clients, a.keyspace, a.size,
                                          extra=["--tls", "--cacert", ca])
                        raw.setdefault((w, p, name), []).append(r)
                        print(f"round {rnd + 1} TLS {w} P{p} {name:13} {r['rps']:>10.0f} req/s "
                              f"p99 {r['p99']:.2f} ms", file=sys.stderr, flush=True)
            finally:
                s.stop()
    res = medians(raw)
    lines = [f"Run of {now_utc()} on {platform.node()} ({os.cpu_count()} cores): over TLS "
             f"(redis-benchmark --tls, no client certificates), -c {a.clients} -n {a.n} "
             f"-r {a.keyspace} -d {a.size}, {a.shards} shards, median of {a.rounds} rounds.",
             "", "| workload | P | redis-server req/s | shardis req/s | shardis/redis "
             "| redis p99 ms | shardis p99 ms |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for p in pipelines:
        for w in ("SET", "GET"):
            r, sh = res[(w, p, "redis-server")], res[(w, p, "shardis")]
            lines.append(f"| {w} | {p} | {fmt_rps(r['rps'])} | {fmt_rps(sh['rps'])} | "
                         f"{ratio(sh['rps'], r['rps'])} | {r['p99']:.2f} | {sh['p99']:.2f} |")
    emit(lines, a.out)


def fsync_matrix(a, tmp):
    """SET at P16 under each appendfsync policy, both servers, interleaved."""
    raw = {}
    syncs = []
    for rnd in range(a.rounds):
        for policy in ("always", "everysec", "no"):
            for name in ("redis-server", "shardis"):
                s = (start_redis(tmp, "redis-aof", appendfsync=policy) if name == "redis-server"
                     else start_shardis(tmp, a.proxy_bin, a.shards, a.workers, appendfsync=policy))
                tracer = None
                if name == "shardis" and policy == "everysec":
                    tracer = trace_syncs(s.pids()[1:2])
                try:
                    r = run_benchmark(s, "SET", 16, a.n, a.clients, a.keyspace, a.size)
                finally:
                    if tracer:
                        syncs.append(sync_times(tracer))
                    s.stop()
                raw.setdefault((policy, name), []).append(r)
                print(f"round {rnd + 1} appendfsync {policy:8} {name:13} {r['rps']:>10.0f} req/s "
                      f"p99 {r['p99']:.2f} ms", file=sys.stderr, flush=True)
    res = medians(raw)
    when = now_utc()
    lines = [f"Run of {when} on {platform.node()} ({os.cpu_count()} cores): SET, redis-benchmark "
             f"-c {a.clients} -n {a.n} -r {a.keyspace} -d {a.size} -P 16, {a.shards} shards, "
             f"median of {a.rounds} rounds; redis-server with `--appendonly yes --appendfsync P`.",
             "", "| appendfsync | redis-server req/s | shardis req/s | shardis/redis "
             "| redis p99 ms | shardis p99 ms |", "| --- | --- | --- | --- | --- | --- |"]
    for policy in ("always", "everysec", "no"):
        r, sh = res[(policy, "redis-server")], res[(policy, "shardis")]
        lines.append(f"| {policy} | {fmt_rps(r['rps'])} | {fmt_rps(sh['rps'])} | "
                     f"{ratio(sh['rps'], r['rps'])} | {r['p99']:.2f} | {sh['p99']:.2f} |")
    # The everysec exposure: time between the syncer's fdatasyncs.
    gaps = [b[0] - a_[0] for run in syncs for a_, b in zip(run, run[1:])]
    took = [t for run in syncs for _, t in run]
    if gaps:
        lines += ["", f"`everysec` syncer of one shard (strace, during each run and up to "
                  f"{SYNC_TRACE_MIN_S:.0f} s from its start): {len(took)} syncs, "
                  f"{min(gaps):.3f} to {max(gaps):.3f} s apart, each taking "
                  f"{statistics.mean(took) * 1000:.1f} ms on average."]
    elif shutil.which("strace") is None:
        lines += ["", "(strace is not installed: the everysec sync interval was not measured.)"]
    emit(lines, a.out)


def info_stats(port):
    """The integer fields of `INFO stats`."""
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "stats"], capture_output=True,
                         text=True, timeout=60).stdout
    fields = {}
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        if v.isdigit():
            fields[k] = int(v)
    return fields


def allocs_table(a, tmp, workloads):
    """Allocations per command, proxy and shards, from shardis's `INFO stats`
    (`total_allocations_proxy`, `total_allocations_shards`,
    `total_commands_processed`) before and after a P16 run of each workload
    on one server, in order (SET first: it writes the keys GET reads)."""
    s = start_shardis(tmp, a.proxy_bin, a.shards, a.workers)
    rows = []
    try:
        for wl in workloads:
            before = info_stats(s.port)
            run_benchmark(s, wl, 16, a.n, a.clients, a.keyspace, a.size)
            after = info_stats(s.port)
            d = {k: after.get(k, 0) - before.get(k, 0) for k in
                 ("total_allocations_proxy", "total_allocations_shards",
                  "total_commands_processed")}
            cmds = max(1, d["total_commands_processed"])
            rows.append((wl, d["total_commands_processed"], d["total_allocations_proxy"] / cmds,
                         d["total_allocations_shards"] / cmds))
            print(f"{wl:8} {rows[-1][1]:>9} commands  proxy {rows[-1][2]:.2f}  shards "
                  f"{rows[-1][3]:.2f} allocations per command", file=sys.stderr, flush=True)
    finally:
        s.stop()
    lines = [f"Run of {now_utc()} on {platform.node()}: `INFO stats` before and after "
             f"redis-benchmark -c {a.clients} -n {a.n} -r {a.keyspace} -d {a.size} -P 16 per "
             f"workload, one shardis with {a.shards} shards (each run also opens "
             f"{a.clients} connections).", "",
             "| workload | commands | proxy allocations/command | shard allocations/command |",
             "| --- | --- | --- | --- |"]
    for wl, n, p, sh in rows:
        lines.append(f"| {wl} | {n} | {p:.2f} | {sh:.2f} |")
    emit(lines, a.out)


TX_WORKLOADS = [
    ("MULTI 2 SET, one shard", ["--workload", "tx", "--tx-sets", "2", "--spread", "0"]),
    ("MULTI 2 SET, spread", ["--workload", "tx", "--tx-sets", "2", "--spread", "1"]),
    ("MULTI 10 SET, one shard", ["--workload", "tx", "--tx-sets", "10", "--spread", "0"]),
    ("MULTI 10 SET, spread", ["--workload", "tx", "--tx-sets", "10", "--spread", "1"]),
    ("RENAME across shards", ["--workload", "rename", "--spread", "1"]),
    ("SMOVE across shards", ["--workload", "smove", "--spread", "1"]),
]

SCRIPT_WORKLOADS = [
    ("EVALSHA 1 call, one shard", ["--workload", "evalsha", "--tx-sets", "1", "--spread", "0"]),
    ("EVALSHA 5 calls, one shard", ["--workload", "evalsha", "--tx-sets", "5", "--spread", "0"]),
    ("EVALSHA 5 calls, spread", ["--workload", "evalsha", "--tx-sets", "5", "--spread", "1"]),
]


def rotated(servers, rnd):
    """`servers` starting at a different one each round: with a fixed
    order the second shardis of an A/B measured 5-10% above the first,
    whichever build it was (the two builds swapped swapped the ratio)."""
    k = rnd % len(servers) if servers else 0
    return servers[k:] + servers[:k]


def tx_table(a, tmp, pipelines, workloads=None):
    """Transactions per second (loadgen) on redis-server and shardis, same run."""
    workloads = workloads or TX_WORKLOADS
    if not a.loadgen_bin:
        raise SystemExit("--tx needs --loadgen-bin")
    servers = []
    try:
        servers.append(start_redis(tmp, "redis"))
        servers.append(start_shardis(tmp, a.proxy_bin, a.shards, a.workers))
        if a.baseline_bin:
            servers.append(start_shardis(tmp, a.baseline_bin, a.shards, a.workers,
                                         name="shardis-before"))
        raw = {}
        for rnd in range(a.rounds):
            for wl, args in workloads:
                for p in pipelines:
                    for s in rotated(servers, rnd):
                        r = run_loadgen(s, a.loadgen_bin,
                                        ["--conns", str(a.clients), "--requests", str(a.n),
                                         "--pipeline", str(p), "--keys", str(a.keyspace),
                                         "--size", str(a.size), "--seconds", "20",
                                         "--shards", str(a.shards)] + args)
                        raw.setdefault((s.name, wl, p), []).append(r)
                        print(f"round {rnd + 1} {wl:26} P{p:<3} {s.name:13} {r['rps']:>10.0f} op/s "
                              f"p50 {r['p50']:.3f} p99 {r['p99']:.3f} ms errors {r.get('errors', 0)}",
                              file=sys.stderr, flush=True)
            for s in servers:
                flush(s)
        res = medians(raw)
        lines = [f"Run of {now_utc()} on {platform.node()} ({os.cpu_count()} cores), loadgen "
                 f"-c {a.clients}, {a.n} operations or 20 s per run, {a.shards} shards, "
                 f"median of {a.rounds} rounds; op/s = transactions (or moves) per second.", "",
                 "| operation | P | redis-server op/s | shardis op/s | shardis/redis | "
                 "redis p50/p99 ms | shardis p50/p99 ms |"
                 + (" shardis-before op/s | shardis/before |" if a.baseline_bin else ""),
                 "| --- | --- | --- | --- | --- | --- | --- |"
                 + (" --- | --- |" if a.baseline_bin else "")]
        for wl, _ in workloads:
            for p in pipelines:
                r = res.get(("redis-server", wl, p))
                sh = res.get(("shardis", wl, p))
                if not r or not sh:
                    continue
                row = (f"| {wl} | {p} | {fmt_rps(r['rps'])} | {fmt_rps(sh['rps'])} | "
                       f"{ratio(sh['rps'], r['rps'])} | {r['p50']:.2f}/{r['p99']:.2f} | "
                       f"{sh['p50']:.2f}/{sh['p99']:.2f} |")
                b = res.get(("shardis-before", wl, p))
                if b:
                    row += f" {fmt_rps(b['rps'])} | {ratio(sh['rps'], b['rps'])} |"
                lines.append(row)
        emit(lines, a.out)
    finally:
        for s in servers:
            s.stop()


PUBSUB_RUNS = [
    ("PUBLISH to 1 subscriber", ["--mode", "publish", "--subscribers", "1", "--messages", "200000"]),
    ("PUBLISH to 100 subscribers", ["--mode", "publish", "--subscribers", "100", "--messages", "20000"]),
    ("BLPOP/LPUSH ping-pong", ["--mode", "pingpong", "--rounds", "5000"]),
]


def pubsub_table(a, tmp):
    """Pub/sub fan-out and blocking-pop latency (pubsub_bench) on
    redis-server and shardis, same run."""
    if not a.pubsub_bin:
        raise SystemExit("--pubsub needs --pubsub-bin")
    servers = []
    try:
        servers.append(start_redis(tmp, "redis"))
        servers.append(start_shardis(tmp, a.proxy_bin, a.shards, a.workers))
        raw = {}
        for rnd in range(a.rounds):
            for what, args in PUBSUB_RUNS:
                for s in servers:
                    out = subprocess.run([a.pubsub_bin, "--port", str(s.port)] + args,
                                         capture_output=True, text=True, timeout=300)
                    line = out.stdout.strip() or out.stderr.strip()
                    raw.setdefault((s.name, what), []).append(line)
                    print(f"round {rnd + 1} {s.name:13} {line}", file=sys.stderr, flush=True)
        lines = [f"Run of {now_utc()} on {platform.node()} ({os.cpu_count()} cores), "
                 f"pubsub_bench, {a.shards} shards, {a.rounds} rounds (each round's line).", "",
                 "| run | redis-server | shardis |", "| --- | --- | --- |"]
        for what, _ in PUBSUB_RUNS:
            cells = [" / ".join(x.split(": ", 1)[-1] for x in raw.get((n, what), []))
                     for n in ("redis-server", "shardis")]
            lines.append(f"| {what} | {cells[0]} | {cells[1]} |")
        emit(lines, a.out)
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()

