#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT: writes the uncompressed ELF vmlinux inside a Debian bzImage
(xz-compressed payload), so QEMU can boot it through the PVH entry point (CONFIG_PVH=y) and
skip the real-mode setup and the slow in-guest decompression under TCG."""
import lzma
import sys

data = open(sys.argv[1], "rb").read()
magic = b"\xfd7zXZ\x00"
pos = data.find(magic)
while pos >= 0:
    try:
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        out = d.decompress(data[pos:])
        if out[:4] == b"\x7fELF":
            with open(sys.argv[2], "wb") as f:
                f.write(out)
            sys.exit(0)
    except lzma.LZMAError:
        pass
    pos = data.find(magic, pos + 1)
sys.exit("extract-vmlinux.py: no xz-compressed ELF found in %s" % sys.argv[1])
