#!/usr/bin/env python3
"""Write the crafted GeoTIFF of issue 11: a 16384 x 16384 u8 image whose
strips (16 rows each) all point to one Deflate chunk of zeros - about 69 KB
on disk, 268 MB as u8 and 2.1 GB as f64 once decoded.

    crafted_shared_strips.py OUT.tif [SIDE [FILE_BYTES]]

SIDE (default 16384) and FILE_BYTES (padding, default 69000) give the
variants: 40000 400000 is the 400 KB file that declares 1.6 GB of u8
(12.8 GB as f64).

Peak memory of cryosar on it (must fail fast, < 100 MB):
    python3 tools/reference/crafted_shared_strips.py /tmp/bomb.tif
    /usr/bin/time -v target/debug/cryosar info /tmp/bomb.tif
    /usr/bin/time -v target/debug/cryosar terrain /tmp/bomb.tif --slope /tmp/s.tif
The same file is built by crates/cryosar-cli/tests/hostile_inputs.rs.
"""
import struct
import sys
import zlib

side = int(sys.argv[2]) if len(sys.argv) > 2 else 16384
pad = int(sys.argv[3]) if len(sys.argv) > 3 else 69000
rps = 16
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
b += bytes(max(0, pad - len(b)))
open(sys.argv[1] if len(sys.argv) > 1 else "bomb.tif", "wb").write(b)
print(len(b), "bytes")
