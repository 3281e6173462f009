#!/usr/bin/env python3
"""Resident memory per idle client connection: shardis's proxy beside
redis-server (and an earlier proxy build with --baseline-bin).

Starts each server on a free 127.0.0.1 port, opens N connections that each
send one PING and read its reply, then reads the server process's VmRSS 1 s
and 6 s later (Redis frees an idle client's query buffer after 2 s, and
shardis gives an idle connection's buffers back then too). Prints a table:
the RSS growth per connection. Only the proxy is counted for shardis: a
connection lives there (the shards hold nothing per client).

    python3 benches/idle_conns.py --proxy-bin target/release/proxy [-n 2000]
        [--baseline-bin OLD_PROXY]
"""
import argparse
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def wait_ready(port, deadline_s=30):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def measure(name, cmd, port, n):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ready(port):
            return (name, None, None)
        time.sleep(1)
        before = rss_kb(proc.pid)
        socks = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"PING\r\n")
            socks.append(s)
        for s in socks:
            s.recv(16)
        time.sleep(1)
        early = rss_kb(proc.pid)
        time.sleep(5)
        late = rss_kb(proc.pid)
        for s in socks:
            s.close()
        return (name, (early - before) / n, (late - before) / n)
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--baseline-bin")
    ap.add_argument("-n", type=int, default=2000)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.n + 200)), hard))
    tmp = tempfile.mkdtemp(prefix="shardis-idle-")
    rows = []
    try:
        port = free_port()
        rows.append(measure("redis-server", ["redis-server", "--port", str(port), "--save", "",
                                             "--appendonly", "no", "--maxclients", str(a.n + 100)],
                            port, a.n))
        bins = [("shardis-before", a.baseline_bin)] if a.baseline_bin else []
        for name, b in bins + [("shardis", a.proxy_bin)]:
            port = free_port()
            d = os.path.join(tmp, name)
            rows.append(measure(name, [b, "--port", str(port), "--dir", d, "--shards", "2",
                                       "--appendonly", "no", "--maxclients", str(a.n + 100)],
                                port, a.n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {a.n} idle connections"
          " (one PING each), resident memory growth of the server process per connection.\n")
    print("| server | KB/conn after 1 s | KB/conn after 6 s |")
    print("| --- | ---: | ---: |")
    for name, early, late in rows:
        if early is None:
            print(f"| {name} | did not start | |")
        else:
            print(f"| {name} | {early:.1f} | {late:.1f} |")


if __name__ == "__main__":
    main()
