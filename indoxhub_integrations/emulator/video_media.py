"""Tiny but real MP4 videos: H.264 (Baseline, uncompressed I_PCM macroblocks) in an MP4 file.

The emulator's video models answer with a short clip that any player (browsers included)
decodes: a background coloured by the prompt and a square that moves across it, so a person
can see that the clip plays. The encoder writes every macroblock as I_PCM, the raw-sample
macroblock type H.264 defines, so no transform or entropy coding is needed and the output is
deterministic: the same prompt, size and length always give the same bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from .media import requested_shape

FPS = 6
"""Frames per second of emulator clips."""
TIMESCALE = 12_000
"""Media timescale of the video track (ticks per second)."""
MAX_SECONDS = 4
"""Clips are cut to this many seconds, whatever the request asked, to stay small."""
_MB = 16


class _Bits:
    """An MSB-first bit writer with H.264's Exp-Golomb codes."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def u(self, bits: int, value: int) -> None:
        for shift in range(bits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> shift) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                self.acc = self.count = 0

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() * 2 - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while self.count:
            self.u(1, 0)

    def raw(self, data: bytes) -> None:
        assert self.count == 0, "raw bytes need byte alignment"
        self.out += data

    def trailing(self) -> bytes:
        self.u(1, 1)
        self.align_zero()
        return bytes(self.out)


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """A NAL unit (header + payload with emulation-prevention bytes)."""
    out = bytearray([(ref_idc << 5) | kind])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps(width_mbs: int, height_mbs: int) -> bytes:
    bits = _Bits()
    bits.u(8, 66)  # profile_idc: Baseline
    bits.u(8, 0xC0)  # constraint_set0_flag, constraint_set1_flag
    bits.u(8, 30)  # level_idc 3.0
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4
    bits.ue(2)  # pic_order_cnt_type: output order is decoding order
    bits.ue(0)  # max_num_ref_frames: every frame is an IDR picture
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(width_mbs - 1)
    bits.ue(height_mbs - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    bits.u(1, 0)  # frame_cropping_flag
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(3, 7, bits.trailing())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, 8, bits.trailing())


def _slice(index: int, macroblocks: Iterable[bytes]) -> bytes:
    """One IDR picture whose macroblocks are all I_PCM."""
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I (all slices of the picture)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, 0)  # frame_num (0 in an IDR picture)
    bits.ue(index % 2)  # idr_pic_id: consecutive IDR pictures differ
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off
    for samples in macroblocks:
        bits.ue(25)  # mb_type: I_PCM
        bits.align_zero()  # pcm_alignment_zero_bit
        bits.raw(samples)
    return _nal(3, 5, bits.trailing())


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 studio-range YCbCr of an RGB colour (never 0, which PCM samples avoid)."""
    r, g, b = rgb
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    cb = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    cr = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return tuple(max(1, min(255, round(v))) for v in (y, cb, cr))  # type: ignore[return-value]


def _frame(
    width_mbs: int,
    height_mbs: int,
    background: tuple[int, int, int],
    box: tuple[int, int, int],
    box_x: int,
    box_y: int,
    box_size: int,
) -> list[bytes]:
    """The I_PCM macroblocks (raster order) of one frame with a square at (box_x, box_y)."""
    blocks: list[bytes] = []
    for mb_y in range(height_mbs):
        for mb_x in range(width_mbs):
            luma = bytearray()
            cb = bytearray()
            cr = bytearray()
            for y in range(_MB):
                for x in range(_MB):
                    px, py = mb_x * _MB + x, mb_y * _MB + y
                    inside = box_x <= px < box_x + box_size and box_y <= py < box_y + box_size
                    luma.append((box if inside else background)[0])
            for y in range(_MB // 2):
                for x in range(_MB // 2):
                    px, py = mb_x * _MB + 2 * x, mb_y * _MB + 2 * y
                    inside = box_x <= px < box_x + box_size and box_y <= py < box_y + box_size
                    colour = box if inside else background
                    cb.append(colour[1])
                    cr.append(colour[2])
            blocks.append(bytes(luma + cb + cr))
    return blocks


def frame_size(size: str | None = None, aspect_ratio: str | None = None) -> tuple[int, int]:
    """The clip's pixel size: the requested shape (16:9 when none) scaled to a small multiple
    of 16 pixels."""
    width, height = requested_shape(size, aspect_ratio) or (16, 9)
    long_side = 5  # macroblocks
    if width >= height:
        return long_side * _MB, max(1, round(long_side * height / width)) * _MB
    return max(1, round(long_side * width / height)) * _MB, long_side * _MB


def mp4(
    prompt: str, seconds: float = 2, size: str | None = None, aspect_ratio: str | None = None
) -> bytes:
    """A short H.264 MP4 clip for ``prompt``: a square moving across a coloured background.

    Args:
        prompt: Seeds the colours, so different prompts give different clips.
        seconds: Length in seconds (at least one frame; cut to ``MAX_SECONDS``).
        size: A requested ``WIDTHxHEIGHT`` (only its shape is kept).
        aspect_ratio: A requested ``W:H`` (used when ``size`` is absent).

    Returns:
        The bytes of a valid ``.mp4`` file.
    """
    width, height = frame_size(size, aspect_ratio)
    frames = max(1, round(min(max(seconds, 0.0), MAX_SECONDS) * FPS))
    digest = hashlib.sha256(prompt.encode()).digest()
    background = _yuv((digest[0] // 2, digest[1] // 2, digest[2] // 2))
    box = _yuv((128 + digest[3] // 2, 128 + digest[4] // 2, 128 + digest[5] // 2))
    box_size = height // 2
    travel = max(1, width - box_size)
    samples = []
    for index in range(frames):
        x = travel * index // max(1, frames - 1) if frames > 1 else 0
        blocks = _frame(width // _MB, height // _MB, background, box, x, height // 4, box_size)
        samples.append(_slice(index, blocks))
    return _container(width, height, _sps(width // _MB, height // _MB), _pps(), samples)


# --- the MP4 container -----------------------------------------------------------------------


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _container(width: int, height: int, sps: bytes, pps: bytes, samples: list[bytes]) -> bytes:
    delta = TIMESCALE // FPS
    duration = delta * len(samples)
    movie_ms = duration * 1000 // TIMESCALE
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    avcc = _box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )
    compressor = b"\x0bindoxhub-emu".ljust(32, b"\x00")
    avc1 = _box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),
        b"\x00" * 16,
        struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
        compressor,
        struct.pack(">Hh", 0x18, -1),
        avcc,
    )
    sizes = [4 + len(sample) for sample in samples]
    mdat_payload = b"".join(struct.pack(">I", len(s)) + s for s in samples)

    def moov(chunk_offset: int) -> bytes:
        stbl = _box(
            b"stbl",
            _full(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
            _full(b"stts", 0, 0, struct.pack(">III", 1, len(samples), delta)),
            _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(samples), 1)),
            _full(
                b"stsz",
                0,
                0,
                struct.pack(">II", 0, len(samples)),
                struct.pack(f">{len(sizes)}I", *sizes),
            ),
            _full(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
        )
        minf = _box(
            b"minf",
            _full(b"vmhd", 0, 1, struct.pack(">HHHH", 0, 0, 0, 0)),
            _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1))),
            stbl,
        )
        mdia = _box(
            b"mdia",
            _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, duration, 0x55C4, 0)),
            _full(b"hdlr", 0, 0, struct.pack(">I", 0), b"vide", b"\x00" * 12, b"VideoHandler\x00"),
            minf,
        )
        tkhd = _full(
            b"tkhd",
            0,
            3,
            struct.pack(">IIIII", 0, 0, 1, 0, movie_ms),
            b"\x00" * 8,
            struct.pack(">hhhH", 0, 0, 0, 0),
            _MATRIX,
            struct.pack(">II", width << 16, height << 16),
        )
        mvhd = _full(
            b"mvhd",
            0,
            0,
            struct.pack(">IIII", 0, 0, 1000, movie_ms),
            struct.pack(">IH", 0x10000, 0x100),
            b"\x00" * 10,
            _MATRIX,
            b"\x00" * 24,
            struct.pack(">I", 2),
        )
        return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))

    size_of_moov = len(moov(0))
    offset = len(ftyp) + size_of_moov + 8
    return ftyp + moov(offset) + _box(b"mdat", mdat_payload)


def mp4_info(data: bytes) -> dict[str, float | int | str]:
    """Read back what :func:`mp4` wrote: codec, size, frames and duration (for tests and logs).

    Raises:
        ValueError: ``data`` is not an MP4 file with one H.264 video track.
    """
    boxes = dict(_walk(data, 0, len(data)))
    if b"ftyp" not in boxes or b"moov" not in boxes or b"mdat" not in boxes:
        raise ValueError("not an MP4 file (ftyp, moov and mdat boxes expected)")
    start, end = boxes[b"moov"]
    found: dict[bytes, tuple[int, int]] = {}
    _collect(data, start, end, found)
    for needed in (b"tkhd", b"mdhd", b"stsz", b"avc1"):
        if needed not in found:
            raise ValueError(f"not an H.264 MP4 file: no {needed.decode()} box")
    tkhd = found[b"tkhd"][0]
    width, height = struct.unpack(">II", data[tkhd + 76 : tkhd + 84])
    mdhd = found[b"mdhd"][0]
    timescale, duration = struct.unpack(">II", data[mdhd + 12 : mdhd + 20])
    stsz = found[b"stsz"][0]
    frames = struct.unpack(">I", data[stsz + 8 : stsz + 12])[0]
    return {
        "codec": "avc1",
        "width": width >> 16,
        "height": height >> 16,
        "frames": frames,
        "seconds": duration / timescale,
    }


_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def _walk(data: bytes, start: int, end: int) -> Iterable[tuple[bytes, tuple[int, int]]]:
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size < 8 or offset + size > end:
            raise ValueError("not an MP4 file: a box runs past its parent")
        yield kind, (offset + 8, offset + size)
        offset += size


def _collect(data: bytes, start: int, end: int, found: dict[bytes, tuple[int, int]]) -> None:
    for kind, (body, stop) in _walk(data, start, end):
        found.setdefault(kind, (body, stop))
        if kind in _CONTAINERS:
            _collect(data, body, stop, found)
        elif kind == b"stsd":
            _collect(data, body + 8, stop, found)
