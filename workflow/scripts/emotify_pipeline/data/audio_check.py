"""Tell a truncated or corrupt MP3 from a whole file that is merely short, from the file itself.

No decoding: the MPEG audio frames are walked header by header (each header gives the length
of its frame, so the next header must start exactly where the frame ends). That is a few
milliseconds per one-minute clip and sees what the decoder will see:

- **whole**: the frames run back to back from the first audio frame to the end of the stream
  (an ID3v1 or APEv2 tag may follow). A short clip of the real archive (25.8 s) is whole.
- **truncated**: the last frame is cut (its header promises more bytes than the file holds, or
  only the start of a header is left), or a VBR header (Xing/Info/VBRI) declares more frames
  than the file holds.
- **corrupt**: the chain of frame headers breaks in the middle of the stream (overwritten or
  missing bytes), or more than 1 KB of non-frame bytes stand between the ID3 tag and the
  first frame; the decoder would have to skip garbage there.

A constant-bitrate file without a VBR header, cut exactly between two frames, looks whole: it
is **verified** when a VBR header's frame count matches; a tag closing the file is weaker proof
(every clip of the real archive ends in an ID3v1 tag, which a truncated copy has lost -- unless
someone appends it again). The track table therefore also checks each clip's duration against
the archive's catalogue (:func:`data.catalogue.catalogue_problem`). Unverified whole files are used,
and flagged in ``tracks.csv`` (``integrity``).

The seconds a decoder outputs are the walked frames times the samples per frame, minus the
encoder delay and padding that the LAME tag declares (mutagen applies the same to its
``length``). See :func:`scan_mpeg`.
"""

from dataclasses import dataclass

# bitrates in kbit/s: (version is MPEG1, layer) -> table; MPEG2 and 2.5 share the lower ones
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_RESYNC_RUN = 4  # consecutive valid frames that count as "the stream resumes here"


@dataclass(frozen=True)
class FrameHeader:
    """One parsed MPEG audio frame header."""

    version: int  # 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
    layer: int  # 1, 2 or 3
    sample_rate: int
    channels: int
    length: int  # bytes of the whole frame, header included
    samples: int  # PCM samples per channel the frame decodes to


def parse_header(data: bytes, pos: int) -> FrameHeader | None:
    """The frame header at ``data[pos:pos + 4]``, or None when those bytes are not one.

    Free-format and reserved values count as "not a header" (they never occur in Emotify).
    """
    if pos + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = (b1 >> 3) & 3
    layer_bits = (b1 >> 1) & 3
    bitrate_idx = b2 >> 4
    sr_idx = (b2 >> 2) & 3
    if version == 1 or layer_bits == 0 or bitrate_idx in (0, 15) or sr_idx == 3:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_idx] * 1000
    sample_rate = _SAMPLE_RATES[version][sr_idx]
    padding = (b2 >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // sample_rate + padding) * 4
        samples = 384
    elif layer == 2 or mpeg1:
        length = 144 * bitrate // sample_rate + padding
        samples = 1152
    else:  # layer 3, MPEG2/2.5
        length = 72 * bitrate // sample_rate + padding
        samples = 576
    channels = 1 if (b3 >> 6) == 3 else 2
    return FrameHeader(version, layer, sample_rate, channels, length, samples)


def _vbr_header(data: bytes, pos: int, h: FrameHeader) -> tuple[int | None, int]:
    """``(declared frames, delay + padding samples)`` from a Xing/Info/VBRI header in the frame
    at ``pos`` (None frames when there is no such header); the header frame holds no audio."""
    if h.layer != 3:
        return None, 0
    side = (32 if h.channels == 2 else 17) if h.version == 3 else (17 if h.channels == 2 else 9)
    x = pos + 4 + side
    tag = data[x : x + 4]
    if tag in (b"Xing", b"Info"):
        flags = int.from_bytes(data[x + 4 : x + 8], "big")
        off = x + 8
        frames = None
        if flags & 1:
            frames = int.from_bytes(data[off : off + 4], "big")
            off += 4
        off += 4 if flags & 2 else 0
        off += 100 if flags & 4 else 0
        off += 4 if flags & 8 else 0
        delay_pad = 0
        if data[off : off + 4] in (b"LAME", b"Lavc", b"Lavf"):
            raw = int.from_bytes(data[off + 21 : off + 24], "big")
            delay_pad = (raw >> 12) + (raw & 0xFFF)
        return frames, delay_pad
    v = pos + 4 + 32
    if (data[v : v + 4]) == b"VBRI":
        return int.from_bytes(data[v + 14 : v + 18], "big"), 0
    return None, 0


_TRAILING_ZEROS = 1024  # zero padding after the stream that decoders still accept (2 KB they refuse)


def _tag_free_end(data: bytes) -> tuple[int, bool]:
    """End of the audio stream, and whether a tag closes the file.

    Strips, repeatedly and in any order, what may follow the frames of a whole file: an ID3v1
    tag, an APEv2 tag, a Lyrics3v2 block, an appended ID3v2.4 tag (with its "3DI" footer), and
    up to 1 KB of zero padding. A tag at the end tells that the file was written to its end (a
    truncated file has lost it)."""
    end, tagged = len(data), False
    while True:
        before = end
        if end >= 128 and data[end - 128 : end - 125] == b"TAG":
            end, tagged = end - 128, True
        if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
            size = int.from_bytes(data[end - 20 : end - 16], "little")
            flags = int.from_bytes(data[end - 12 : end - 8], "little")
            end, tagged = end - size - (32 if flags & 0x80000000 else 0), True
        if end >= 15 and data[end - 9 : end] == b"LYRICS200" and data[end - 15 : end - 9].isdigit():
            end, tagged = end - 15 - int(data[end - 15 : end - 9]), True
        if end >= 10 and data[end - 10 : end - 7] == b"3DI":
            size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[end - 4 : end]))
            end, tagged = end - 20 - size, True
        stripped = len(data[:end]) - len(data[:end].rstrip(b"\0"))
        if 0 < stripped <= _TRAILING_ZEROS:
            end -= stripped
        if end == before or end <= 0:
            return max(end, 0), tagged


def id3v2_end(data: bytes) -> int:
    """Where a leading ID3v2 tag ends (10 + size, + 10 with a footer); 0 without one."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[6:10]))
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _resync(data: bytes, start: int, end: int, first: FrameHeader) -> int | None:
    """The next offset from which ``_RESYNC_RUN`` frames like ``first`` chain back to back."""
    pos = data.find(b"\xff", start, end)
    while pos != -1 and pos < end:
        p, run = pos, 0
        while run < _RESYNC_RUN:
            h = parse_header(data, p)
            if h is None or (h.version, h.layer, h.sample_rate) != (first.version, first.layer, first.sample_rate):
                break
            p += h.length
            run += 1
        if run == _RESYNC_RUN:
            return pos
        pos = data.find(b"\xff", pos + 1, end)
    return None


@dataclass(frozen=True)
class MpegScan:
    """What the frame walk found; see :func:`scan_mpeg`."""

    sample_rate: int
    channels: int
    frames: int  # audio frames that chain back to back (a VBR header frame excluded)
    decoded_s: float  # seconds a decoder outputs from those frames (LAME delay/padding removed)
    declared_frames: int | None  # frames a Xing/Info/VBRI header declares, if any
    problem: str  # '' for a whole stream; else what is wrong, in words
    kind: str  # 'whole', 'truncated' or 'corrupt'
    verified: bool  # whole *and* provably complete: a VBR header's frame count or a closing tag

    @property
    def integrity(self) -> str:
        """The track table's ``integrity``: how far the file itself proves it is complete. A
        closing tag is weaker proof than a VBR frame count: a copy cut between two frames with
        its ID3v1 tag appended again looks the same (only an external duration, such as the
        archive's catalogue, tells them apart)."""
        if self.kind != "whole":
            return self.kind
        if self.declared_frames is not None:
            return "verified: VBR frame count"
        return "whole: closing tag" if self.verified else "unverified (no VBR header or closing tag)"


def scan_mpeg(data: bytes, first_frame: int) -> MpegScan:
    """Walk the MPEG audio frames of a whole file's bytes from offset ``first_frame``.

    ``first_frame`` is where the first frame header starts (after any ID3v2 tag; mutagen's
    ``info.frame_offset``). Raises ``ValueError`` when no frame header is there.
    """
    first = parse_header(data, first_frame)
    if first is None:
        raise ValueError(f"no MPEG frame header at byte {first_frame}")
    end, tagged = _tag_free_end(data)
    declared, delay_pad = _vbr_header(data, first_frame, first)
    gap = first_frame - id3v2_end(data)
    if gap > 1024:  # mutagen skips junk before the first frame; the decoder may not
        return MpegScan(
            first.sample_rate, first.channels, 0, 0.0, declared,
            f"{gap} bytes that are not MPEG frames stand between the ID3 tag and the first frame", "corrupt", False,
        )  # fmt: skip
    pos = first_frame + first.length if declared is not None else first_frame
    frames = samples = 0
    problem, kind = "", "whole"
    while pos < end:
        h = parse_header(data, pos)
        same = h is not None and (h.version, h.layer, h.sample_rate) == (first.version, first.layer, first.sample_rate)
        if not same:
            resume = _resync(data, pos, end, first)
            if resume is None and end - pos < first.length:
                if data[pos] == 0xFF:  # the start of a frame header, cut off
                    problem = f"last frame cut: {end - pos} byte(s) of a frame header at byte {pos}, then the file ends"
                    kind = "truncated"
                break  # otherwise a few stray bytes after the last frame: not audio, harmless
            seconds = samples / first.sample_rate
            where = f"frame chain breaks at byte {pos} ({seconds:.2f} s into the stream)"
            if resume is None:
                problem, kind = f"{where}; no audio frames follow in the remaining {end - pos} bytes", "corrupt"
            else:
                problem, kind = f"{where}; {resume - pos} bytes are not MPEG frames, then frames resume", "corrupt"
            break
        assert h is not None
        if pos + h.length > end:
            problem = f"last frame cut: its header at byte {pos} promises {h.length} bytes, {end - pos} remain"
            kind = "truncated"
            break
        frames += 1
        samples += h.samples
        pos += h.length
    if kind == "whole" and declared is not None and frames < declared - 1:
        missing = (declared - frames) * first.samples / first.sample_rate
        problem = f"the VBR header declares {declared} frames, the file holds {frames} ({missing:.2f} s missing)"
        kind = "truncated"
    verified = kind == "whole" and (declared is not None or tagged)
    decoded = max(0, samples - (delay_pad if declared is not None else 0)) / first.sample_rate
    return MpegScan(first.sample_rate, first.channels, frames, decoded, declared, problem, kind, verified)
