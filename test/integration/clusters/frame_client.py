#!/usr/bin/env python3
"""Sends one kind of bad input to a ccdr replication listener and reports how
the listener reacted (test/integration/clusters/bad_input_refhost.sh, security_refhost.sh).

  frame_client.py HOST:PORT KIND [--cert C --key K] [--ca CA] [--plain]

KIND: garbage (40 random bytes), oversize (a header with a valid checksum
announcing a 4 GiB payload), bad-type (valid checksum, type 99), bad-magic,
truncated (half a header, then silence), hello-only (a HELLO frame: the
listener must answer). Prints one line "closed", "answered N bytes",
"tls-refused: reason" or "open" (the listener kept a bad connection open for
--wait seconds) and exits 0; exit 2 on a usage error."""
import argparse
import ctypes
import os
import socket
import ssl
import struct
import sys

xxh = ctypes.CDLL("libxxhash.so.0")
xxh.XXH3_64bits.restype = ctypes.c_uint64
xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def h64(data: bytes) -> int:
    return xxh.XXH3_64bits(data, len(data))


def header(msg_type: int, payload: bytes, length=None, magic=b"CCDR") -> bytes:
    n = len(payload) if length is None else length
    ph = h64(payload)
    first = magic + struct.pack("<HBBIIQQ", 1, msg_type, 0, n, n, ph, ph)
    return first + struct.pack("<Q", h64(first))


def wire_str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<I", len(b)) + b


def bad_bytes(kind: str) -> bytes:
    if kind == "garbage":
        return os.urandom(40)
    if kind == "oversize":
        return header(1, b"", length=0xFFFFFFF0)
    if kind == "bad-type":
        return header(99, b"")
    if kind == "bad-magic":
        return header(1, b"", magic=b"XXXX")
    if kind == "truncated":
        return header(1, b"")[:20]
    if kind == "hello-only":
        payload = struct.pack("<HH", 1, 1) + wire_str("frame-client") + wire_str("frame-client")
        return header(1, payload) + payload
    raise SystemExit(2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("kind")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ca")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--wait", type=float, default=15.0)
    a = ap.parse_args()
    host, port = a.address.rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=a.wait)
    sock = raw
    if not a.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        if a.ca:
            ctx.load_verify_locations(a.ca)
        else:
            ctx.verify_mode = ssl.CERT_NONE
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
        try:
            sock = ctx.wrap_socket(raw, server_hostname=host)
            sock.settimeout(a.wait)
        except (ssl.SSLError, OSError) as e:
            print("tls-refused: " + str(e))
            return 0
    got = b""
    try:
        sock.sendall(bad_bytes(a.kind))
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
            if a.kind == "hello-only" and len(got) >= 40:
                break
    except socket.timeout:
        print("open" if not got else "answered %d bytes" % len(got))
        return 0
    except (ssl.SSLError, OSError) as e:
        # TLS 1.3: a refused client certificate shows up on the first read.
        print(("tls-refused: " + str(e)) if not got else "answered %d bytes" % len(got))
        return 0
    print("answered %d bytes" % len(got) if got else "closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
