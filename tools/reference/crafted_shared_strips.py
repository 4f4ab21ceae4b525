#!/usr/bin/env python3
"""Write the crafted GeoTIFF of issue 11: a 16384 x 16384 u8 image whose
strips (16 rows each) all point to one Deflate chunk of zeros - about 69 KB
on disk, 268 MB as u8 and 2.1 GB as f64 once decoded.

Peak memory of cryosar on it (must fail fast, < 100 MB):
    python3 tools/reference/crafted_shared_strips.py /tmp/bomb.tif
    /usr/bin/time -v target/debug/cryosar info /tmp/bomb.tif
    /usr/bin/time -v target/debug/cryosar terrain /tmp/bomb.tif --slope /tmp/s.tif
The same file is built by crates/cryosar-cli/tests/hostile_inputs.rs.
"""
import struct
import sys
import zlib

side, rps = 16384, 16
n = (side + rps - 1) // rps
chunk = zlib.compress(bytes(side * rps), 9)
ntags = 10
ifd_off = 8
offs_off = ifd_off + 2 + 12 * ntags + 4
cnts_off = offs_off + 4 * n
chunk_off = cnts_off + 4 * n
b = bytearray(b"II*\0" + struct.pack("<I", ifd_off) + struct.pack("<H", ntags))
for tag, typ, count, val in [
    (256, 4, 1, side), (257, 4, 1, side), (258, 3, 1, 8), (259, 3, 1, 8),
    (262, 3, 1, 1), (273, 4, n, offs_off), (277, 3, 1, 1), (278, 4, 1, rps),
    (279, 4, n, cnts_off), (339, 3, 1, 1),
]:
    b += struct.pack("<HHII", tag, typ, count, val)
b += struct.pack("<I", 0)
b += struct.pack("<%dI" % n, *([chunk_off] * n))
b += struct.pack("<%dI" % n, *([len(chunk)] * n))
b += chunk
# Pad to 69 000 bytes: 4096 x the file size then exceeds the 268 MB image,
# so a plausibility check on the file size alone lets it through.
b += bytes(max(0, 69000 - len(b)))
open(sys.argv[1] if len(sys.argv) > 1 else "bomb.tif", "wb").write(b)
print(len(b), "bytes")
