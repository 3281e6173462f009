#!/usr/bin/env python3
"""The room a slot arena keeps past its bytes, by arithmetic alone: 1M
keys drawn into 16,384 slots (a fixed seed), each slot's block the
smallest allocator class holding its entries (54 bytes a key: a 16-byte
key with a 32-byte value), with or without the slot's list of tags and
offsets in the same block (3 bytes a place, places in steps of 8, as
`shardd/src/keyspace/offsets.rs` sizes it). Prints the room per key in
each case; the class sizes follow `common::alloc::size_class` (jemalloc's
classes, a quarter of a power of two apart).

    python3 benches/arena_room.py [--keys 1000000] [--entry 54]

benches/RESULTS.md, "A slot's list of offsets at the end of its arena".
"""

import argparse
import random


def size_class(size):
    if size <= 128:
        return max(size, 1) + (-max(size, 1)) % 16
    step = 1 << ((size - 1).bit_length() - 3)
    return -(-size // step) * step


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--entry", type=int, default=54)
    a = ap.parse_args()
    rng = random.Random(1)
    counts = [0] * 16384
    for _ in range(a.keys):
        counts[rng.randrange(16384)] += 1
    alone = together = 0
    for n in counts:
        if n == 0:
            continue
        entries = a.entry * n
        tail = 3 * (-(-n // 8) * 8)
        alone += size_class(entries) - entries
        together += size_class(entries + tail) - entries - tail
    print(f"room per key, list in a block of its own: {alone / a.keys:.2f} B")
    print(f"room per key, list at the end of the arena: {together / a.keys:.2f} B")


if __name__ == "__main__":
    main()
