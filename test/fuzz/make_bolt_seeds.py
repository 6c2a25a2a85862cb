#!/usr/bin/env python3
"""Writes the seed corpora of the Bolt fuzz targets (test/fuzz/corpus/
packstream and bolt_session): PackStream values of every type, and whole
connections (handshake, HELLO, LOGON, transactions) as a driver sends them.
Run from anywhere; it rewrites the seed files in place."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def pack(v):
    if v is None:
        return b"\xC0"
    if v is True:
        return b"\xC3"
    if v is False:
        return b"\xC2"
    if isinstance(v, int):
        if -16 <= v <= 127:
            return struct.pack(">b", v) if v < 0 else bytes([v])
        for marker, fmt, lo, hi in ((0xC8, ">b", -128, 127), (0xC9, ">h", -32768, 32767),
                                    (0xCA, ">i", -2**31, 2**31 - 1)):
            if lo <= v <= hi:
                return bytes([marker]) + struct.pack(fmt, v)
        return b"\xCB" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xC1" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return b"\xCC" + bytes([len(v)]) + v
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 16:
            return bytes([0x80 + len(b)]) + b
        return b"\xD0" + bytes([len(b)]) + b
    if isinstance(v, list):
        return bytes([0x90 + len(v)]) + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        return bytes([0xA0 + len(v)]) + b"".join(pack(k) + pack(x) for k, x in v.items())
    if isinstance(v, Struct):
        return bytes([0xB0 + len(v.fields), v.tag]) + b"".join(pack(x) for x in v.fields)
    raise TypeError(v)


class Struct:
    def __init__(self, tag, *fields):
        self.tag = tag
        self.fields = fields


def node(i):
    return Struct(0x4E, i, ["Person"], {"name": "n%d" % i}, "4:x:%d" % i)


VALUES = {
    "null": None, "true": True, "int_tiny": 7, "int_neg": -17, "int16": 1000, "int64": 2**40,
    "float": 1.5, "string": "héllo", "long_string": "x" * 40, "bytes": b"\x00\x01\xff",
    "list": [1, "a", [None]], "map": {"a": 1, "b": {"c": [True]}},
    "node": node(1),
    "relationship": Struct(0x52, 7, 1, 2, "KNOWS", {"since": 2020}, "5:x:7", "4:x:1", "4:x:2"),
    "path": Struct(0x50, [node(1), node(2)], [Struct(0x72, 7, "KNOWS", {}, "5:x:7")], [1, 1]),
    "date": Struct(0x44, 19000), "time": Struct(0x54, 3600 * 10**9, 3600), "local_time": Struct(0x74, 5),
    "datetime": Struct(0x49, 1700000000, 7, -3600), "datetime_zone": Struct(0x69, 1700000000, 0, "Europe/Berlin"),
    "local_datetime": Struct(0x64, 1700000000, 9), "duration": Struct(0x45, 1, 2, 3, 4),
    "point2d": Struct(0x58, 4326, 1.0, 2.0), "point3d": Struct(0x59, 4979, 1.0, 2.0, 3.0),
}


def chunk(message):
    out = b""
    for i in range(0, len(message), 65535):
        part = message[i:i + 65535]
        out += struct.pack(">H", len(part)) + part
    return out + b"\x00\x00"


def msg(tag, *fields):
    return chunk(pack(Struct(tag, *fields)))


LEGACY = b"\x60\x60\xB0\x17" + b"\x00\x08\x08\x05" + b"\x00\x02\x04\x04" + b"\x00\x00\x00\x03" + b"\x00" * 4
MANIFEST = b"\x60\x60\xB0\x17" + b"\x00\x00\x01\xFF" + b"\x00\x08\x08\x05" + b"\x00\x02\x04\x04" + b"\x00\x00\x00\x03"
V50 = b"\x60\x60\xB0\x17" + b"\x00\x00\x00\x05" + b"\x00" * 12
AUTH = {"scheme": "basic", "principal": "neo4j", "credentials": "secret"}
HELLO = msg(0x01, {"user_agent": "neo4j-javascript/6.3.0", "routing": {"address": "127.0.0.1:7687"}})
LOGON = msg(0x6A, AUTH)

SESSIONS = {
    "autocommit": LEGACY + HELLO + LOGON + msg(0x10, "ROWS 3", {}, {"db": "neo4j"}) + msg(0x3F, {"n": 2})
    + msg(0x3F, {"n": -1}) + msg(0x02),
    "explicit_tx": MANIFEST + b"\x00\x00\x08\x05\x00" + HELLO + LOGON + msg(0x54, 0)
    + msg(0x11, {"db": "neo4j", "mode": "r", "bookmarks": ["FB:neo4j:1"]}) + msg(0x10, "RETURN $x", {"x": 1}, {})
    + msg(0x3F, {"n": 1000}) + msg(0x12),
    "failure_reset": LEGACY + HELLO + LOGON + msg(0x10, "NOPE", {}, {}) + msg(0x3F, {"n": -1}) + msg(0x0F)
    + msg(0x10, "CREATE", {}, {"mode": "r"}) + msg(0x0F) + msg(0x10, "CREATE", {}, {}) + msg(0x2F, {"n": -1}),
    "route_admin": LEGACY + HELLO + LOGON + msg(0x66, {"address": "127.0.0.1:7687"}, [], {"db": "replica"})
    + msg(0x10, "SHOW DATABASES", {}, {}) + msg(0x3F, {"n": -1}) + msg(0x10, "CREATE DATABASE x", {}, {})
    + msg(0x3F, {"n": -1}) + msg(0x6B) + LOGON,
    "bolt50": V50 + msg(0x01, dict(user_agent="x", **AUTH)) + msg(0x10, "GRAPH", {}, {}) + msg(0x3F, {"n": -1}),
    "out_of_order": LEGACY + HELLO + LOGON + msg(0x12) + msg(0x10, "RETURN 1", {}, {}) + msg(0x0F)
    + msg(0x11, {}) + msg(0x10, "ROWS 2", {}, {}) + msg(0x10, "ROWS 2", {}, {}) + msg(0x3F, {"n": 1, "qid": 0})
    + msg(0x13) + b"\x00\x00",
    "bad_password": LEGACY + HELLO + msg(0x6A, {"scheme": "basic", "principal": "neo4j", "credentials": "x"}),
}


def write(dirname, items):
    d = os.path.join(HERE, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    for name, data in items.items():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(data)


write("packstream", {name: pack(v) for name, v in VALUES.items()})
write("bolt_session", SESSIONS)
