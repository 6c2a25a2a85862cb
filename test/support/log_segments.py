#!/usr/bin/env python3
"""Reads a refhost member's transaction log segments (examples/refhost/store/
segment_log.hpp) for shell tests: what a test once asked the SQLite log table.

    log_segments.py STORE_FILE summary      -> "<oldest> <last> <count> <payload bytes>"
    log_segments.py STORE_FILE bytes-after X -> payload bytes of the kept records with id > X
    log_segments.py STORE_FILE last         -> "<tx id> <payload bytes>" of the newest record

STORE_FILE is the member's live graph-<n>.db; its log is graph-<n>.db.log/.
The oldest kept id is the store's state row (oldest_retained) or the first
record, whichever is higher: retention removes whole segments."""
import os
import sqlite3
import struct
import sys

RECORD_HEADER = 56
FILE_HEADER = 16


def records(log_dir):
    """(tx id, payload length) of every whole record, oldest first."""
    for name in sorted(n for n in os.listdir(log_dir) if n.endswith(".seg")):
        with open(os.path.join(log_dir, name), "rb") as f:
            data = f.read()
        offset = FILE_HEADER
        while offset + RECORD_HEADER <= len(data):
            magic, _flags, tx, _time, length = struct.unpack_from("<IIQqQ", data, offset)
            if magic != 0x31585443 or offset + RECORD_HEADER + length > len(data):
                break
            yield tx, length
            offset += RECORD_HEADER + length


def oldest_retained(store_file):
    db = sqlite3.connect("file:%s?mode=ro" % store_file, uri=True, timeout=10)
    try:
        return db.execute("SELECT oldest_retained FROM state WHERE id = 1").fetchone()[0]
    finally:
        db.close()


def main():
    store_file, command = sys.argv[1], sys.argv[2]
    floor = oldest_retained(store_file)
    kept = [(tx, n) for tx, n in records(store_file + ".log") if tx >= floor]
    if command == "summary":
        if not kept:
            print("%d %d 0 0" % (floor, floor - 1))
        else:
            print("%d %d %d %d" % (kept[0][0], kept[-1][0], len(kept), sum(n for _, n in kept)))
    elif command == "bytes-after":
        after = int(sys.argv[3])
        print(sum(n for tx, n in kept if tx > after))
    elif command == "last":
        if not kept:
            sys.exit("the log holds no record")
        print("%d %d" % kept[-1])
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
