"""JPEG structure checks made before any pixel is decoded.

A progressive JPEG may hold any number of scans, and libjpeg decodes each one over the whole
canvas: 2,000 scans of 20 bytes on a 4K canvas cost 3 s, and 120,000 cost minutes, in one
`cv2.imdecode` call that nothing can interrupt. Walking the markers costs one C-level search per
segment, so the scans are counted here and a file with too many is refused before decoding. Segment
payloads (EXIF thumbnails, ICC profiles) are skipped by their length, so an embedded JPEG's scans do
not count.
"""

from __future__ import annotations

import re

from app.errors import MediaTooLarge

MAX_SCANS = 64  # libjpeg's progressive script writes 10 scans, mozjpeg's optimised ones about 20
MAX_SEGMENTS = 1_000  # bounds this walk on files made of millions of tiny segments
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # skips stuffed 0xff00, RSTn and fill
_STANDALONE = frozenset({0x01, 0xD8})  # TEM, SOI: markers without a length field
_SOS, _EOI = 0xDA, 0xD9


def check_scans(data: bytes) -> None:
    """Raise MediaTooLarge when the JPEG `data` holds more than MAX_SCANS scans (or more than
    MAX_SEGMENTS segments). Malformed files are left for the decoder to refuse."""
    position, scans, segments = 2, 0, 0
    while (found := _NEXT_MARKER.search(data, position)) is not None:
        marker = data[found.start() + 1]
        if marker == _EOI:
            return
        segments += 1
        if segments > MAX_SEGMENTS:
            raise MediaTooLarge(f"the JPEG holds more than {MAX_SEGMENTS} segments")
        position = found.end()
        if marker in _STANDALONE:
            continue
        position += int.from_bytes(data[position : position + 2], "big")
        if marker == _SOS:
            scans += 1
            if scans > MAX_SCANS:
                raise MediaTooLarge(f"the JPEG holds more than {MAX_SCANS} progressive scans")
