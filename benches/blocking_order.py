#!/usr/bin/env python3
"""Arrival order across connections for a blocking command (issue 15).

Connection A sends XREADGROUP ... BLOCK 0 on a stream key and, without
waiting, connection B sends SET on the same key: in one Redis, A blocks
first and is answered `-UNBLOCKED ... no longer exists`; if B's SET
reaches the shard first, A gets WRONGTYPE instead. Prints, per database,
how many of TRIES tries came out of order. Against a running server:

    python3 benches/blocking_order.py PORT [TRIES]

Measured 2026-12-03 on the busy 2-core VM: 17 of 30 out of order in
database 0 before `fcd496d`, 0 of 30 in databases 0 and 9 after it.
"""

import socket
import sys


def conn(port, db):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")

    def cmd(*a):
        s.sendall(("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a)).encode())

    def read():
        line = f.readline()
        if line[:1] == b"$" and int(line[1:]) >= 0:
            f.read(int(line[1:]) + 2)
        return line

    cmd("SELECT", str(db))
    read()
    return s, cmd, read


def main():
    port = int(sys.argv[1])
    tries = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    for db in (0, 9):
        bad = 0
        for _ in range(tries):
            (sa, r, rr), (sb, d, dr) = conn(port, db), conn(port, db)
            for c in (("DEL", "order:s"), ("XADD", "order:s", "1-1", "f", "v"),
                      ("XGROUP", "CREATE", "order:s", "g", "$")):
                r(*c)
                rr()
            d("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "order:s", ">")
            r("SET", "order:s", "v")
            rr()
            if b"no longer" not in dr():
                bad += 1
            r("DEL", "order:s")
            rr()
            sa.close()
            sb.close()
        print("db %d: %d of %d out of order" % (db, bad, tries))


if __name__ == "__main__":
    main()
