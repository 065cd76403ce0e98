#!/usr/bin/env python3
"""Says what a screenshot shows, roughly: its size, and how much of it is not
background (the colour of the top-left pixel). Standard library only.

Usage: png_stats.py FILE   ->   "1200x1600 12.3% drawn"
"""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(rows, stride, bpp):
    """Undoes PNG's per-row filters (PNG spec, section 9)."""
    previous = bytearray(stride)
    for filter_type, row in rows:
        row = bytearray(row)
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            if filter_type == 1:
                row[i] = (row[i] + left) & 0xFF
            elif filter_type == 2:
                row[i] = (row[i] + up) & 0xFF
            elif filter_type == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                row[i] = (row[i] + paeth(left, up, up_left)) & 0xFF
        yield bytes(row)
        previous = row


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: only 8-bit, non-interlaced RGB or RGBA PNGs are supported")
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(idat)
    rows = ((raw[y * (stride + 1)], raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]) for y in range(height))
    return width, height, bpp, unfilter(rows, stride, bpp)


def main():
    width, height, bpp, rows = read_png(sys.argv[1])
    background, drawn = None, 0
    for row in rows:
        for x in range(0, width * bpp, bpp):
            pixel = row[x:x + 3]
            if background is None:
                background = pixel
            elif pixel != background:
                drawn += 1
    print(f"{width}x{height} {100 * drawn / (width * height):.1f}% drawn")


if __name__ == "__main__":
    main()
