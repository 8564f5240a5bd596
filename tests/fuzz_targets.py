"""Fuzz targets over every parser, for the short pass in the tests (``test_fuzz_parsers.py``) and
the long one in ``benchmarks/fuzz_parsers.py``.

Each target feeds one input to one parser. The parser may accept it or refuse it with an
:class:`~openimr.errors.OpenIMRError` (the documented error, naming the file); anything else
(a ``KeyError``, ``RecursionError``, ``MemoryError`` ...) is a crash.

Inputs come two ways, from the same seeds and shapes: Hypothesis strategies (``TARGETS``, for
the short pass in the tests) and plain ``random.Random`` generators (``GENERATORS``, for the
long pass: Hypothesis's own generation cost several times the parse of a FHIR bundle).
"""

from __future__ import annotations

import atexit
import json
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from openimr.errors import OpenIMRError

CASE_YAML = b"""\
case_id: CM00-0000001
patient:
  age: 40
  sex: male
  date_of_injury: 2015-01-02
utilization_review:
  date: 2016-09-01
  items:
    - request: Physical therapy 6 visits for the lumbar spine
      guideline: MTUS
records:
  - records/note.txt
"""

NOTE = b"2016-08-01 Progress note. Low back pain 6/10. Physical therapy helped; ODI 40%.\n"

FHIR = json.dumps(
    {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Condition",
                    "code": {"text": "Low back pain"},
                    "onsetDateTime": "2015-01-02",
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "Pain score"},
                    "valueQuantity": {"value": 6, "unit": "/10"},
                    "effectiveDateTime": "2016-08-01",
                }
            },
        ],
    }
).encode()

LETTER = """\
Final Determination Letter for IMR Case Number CM13-0000001
Dear Applicant,
Claim Number: 123
Date of UR Decision: 9/1/2013
Date of Injury: 1/2/2012
Disputed Items:
1. Physical therapy 6 visits is not medically necessary and appropriate.
DETERMINATION: UPHELD
"""


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (hand-written, no dependency)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


PDF = _pdf("Progress note 2016-08-01. Low back pain 6/10.")


def mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with bytes flipped, cut, repeated or spliced in (most inputs stay near-valid)."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 6))):
            if not data:
                break
            op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
            at = draw(st.integers(0, len(data) - 1))
            if op == "flip":
                data[at] = draw(st.integers(0, 255))
            elif op == "cut":
                del data[at : at + draw(st.integers(1, 32))]
            elif op == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=32))
            elif op == "repeat":
                chunk = data[at : at + draw(st.integers(1, 16))]
                data[at:at] = chunk * draw(st.integers(2, 200))
            else:
                del data[at:]
        return bytes(data)

    return mutate()


# the keys and resource types both the Hypothesis strategies and the plain generators use
FHIR_KEYS = [
    "resourceType",
    "entry",
    "resource",
    "code",
    "text",
    "valueQuantity",
    "value",
    "effectiveDateTime",
    "content",
    "attachment",
    "data",
    "contentType",
    "coding",
    "display",
    "note",
    "dosage",
    "status",
]
RESOURCE_TYPES = [
    "Bundle",
    "Condition",
    "Observation",
    "MedicationRequest",
    "Procedure",
    "DocumentReference",
    "DiagnosticReport",
    "Encounter",
    "X",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(FHIR_KEYS) | st.text(max_size=10),
            children,
            max_size=6,
        )
    ),
    max_leaves=40,
)

fhir_like = st.builds(
    lambda rt, body: json.dumps({"resourceType": rt, **body}).encode(),
    st.sampled_from(RESOURCE_TYPES),
    st.dictionaries(st.text(max_size=12), json_values, max_size=6),
)


_WORKDIR: Path | None = None


def _workdir() -> Path:
    """A case directory kept for the whole run (``records/note.txt`` in place), removed at exit:
    a temporary directory made and removed per input costs more than the parse."""
    global _WORKDIR
    if _WORKDIR is None:
        _WORKDIR = Path(tempfile.mkdtemp(prefix="openimr-fuzz-"))
        (_WORKDIR / "records").mkdir()
        (_WORKDIR / "records" / "note.txt").write_bytes(NOTE)
        atexit.register(shutil.rmtree, _WORKDIR, True)
    return _WORKDIR


def _case_yaml(data: bytes) -> None:
    """What ``read_case`` does with a submitted case.yaml, in a directory kept between inputs:
    load and validate it into a :class:`~openimr.model.Case`, then read the records it lists."""
    from openimr.caseio import load_case
    from openimr.records.limits import current, record_limits

    root = _workdir()
    (root / "case.yaml").write_bytes(data)
    with record_limits(current()):
        load_case(root)


def _text(data: bytes) -> None:
    from openimr.records.readers import read_text

    read_text(data, "records/note.txt", "0" * 64)


def _fhir(data: bytes) -> None:
    from openimr.records.fhir import read_fhir

    read_fhir(data, "records/fhir.json", "0" * 64)


def _ndjson(data: bytes) -> None:
    from openimr.records.fhir import read_fhir_ndjson

    read_fhir_ndjson(data, "records/bulk.ndjson", "0" * 64)


OCR_STUB = "Progress note read by OCR. Low back pain 6/10."


def _read_pdf(data: bytes) -> None:
    from openimr.records.pdf import read_pdf

    path = _workdir() / "record.pdf"
    path.write_bytes(data)
    read_pdf(path, "records/record.pdf", "0" * 64)


def _pdf_target(data: bytes) -> None:
    """The PDF reader (pypdf, the page checks, the text and page offsets), with the OCR
    programs replaced by a stub giving each page without a text layer :data:`OCR_STUB`:
    rendering and Tesseract take seconds a page and are fuzzed apart (``PDF with OCR``)."""
    from unittest import mock

    from openimr.records.ocr import Ocr

    with (
        mock.patch.object(Ocr, "find", classmethod(lambda cls: cls("tesseract", "pdftoppm"))),
        mock.patch.object(Ocr, "page_text", lambda self, pdf, number, display: OCR_STUB),
    ):
        _read_pdf(data)


def _request(data: bytes) -> None:
    from openimr.request import parse_request

    parse_request(data.decode("utf-8", "replace"))


def _letter(data: bytes) -> None:
    from openimr.published.parser import parse_text

    parse_text(data.decode("utf-8", "replace"), "letter.txt")


# -- plain generators for the long pass ---------------------------------------------------------

REQUEST = b"Physical therapy 2x/week x 6 weeks for the lumbar spine (L4-5), 12 visits"
_TEXT_RANGES = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0xFF), (0x100, 0xD7FF), (0xE000, 0x10FFFF)]
"""Printable ASCII mostly, then control characters, Latin-1, the rest of the BMP and beyond
(never a lone surrogate, which no UTF-8 input can hold)."""


def random_bytes(rng: random.Random, max_size: int) -> bytes:
    return rng.randbytes(rng.randint(0, max_size))


def random_text(rng: random.Random, max_size: int) -> str:
    chars = []
    for _ in range(rng.randint(0, max_size)):
        lo, hi = _TEXT_RANGES[min(rng.randrange(8), 4) if rng.random() < 0.3 else 0]
        chars.append(chr(rng.randint(lo, hi)))
    return "".join(chars)


def mutate(seed: bytes, rng: random.Random) -> bytes:
    """``seed`` with 1-6 bytes flipped, runs cut, bytes inserted, runs repeated or the tail cut
    (as :func:`mutations`, without Hypothesis)."""
    data = bytearray(seed)
    for _ in range(rng.randint(1, 6)):
        if not data:
            break
        op = rng.randrange(5)
        at = rng.randrange(len(data))
        if op == 0:
            data[at] = rng.randrange(256)
        elif op == 1:
            del data[at : at + rng.randint(1, 32)]
        elif op == 2:
            data[at:at] = rng.randbytes(rng.randint(1, 32))
        elif op == 3:
            chunk = data[at : at + rng.randint(1, 16)]
            data[at:at] = chunk * rng.randint(2, 200)
        else:
            del data[at:]
    return bytes(data)


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of FHIR-like keys, up to 4 levels deep."""
    kind = rng.randrange(8 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, 1, -1, 2**31, -(2**63), 10**30, rng.randint(-1000, 1000)])
    if kind == 3:
        return rng.choice([0.0, -0.0, 1e308, 1e-308, rng.uniform(-1e6, 1e6)])
    if kind in (4, 5):
        return random_text(rng, 30)
    if kind == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {
        (rng.choice(FHIR_KEYS) if rng.random() < 0.7 else random_text(rng, 10)): random_json(
            rng, depth + 1
        )
        for _ in range(rng.randint(0, 6))
    }


def random_fhir(rng: random.Random) -> bytes:
    """A resource of a FHIR type (or ``X``) with random fields (as ``fhir_like``)."""
    body = {random_text(rng, 12): random_json(rng) for _ in range(rng.randint(0, 6))}
    if rng.random() < 0.7:  # the resource's own fields by name, as often as not
        body.update({rng.choice(FHIR_KEYS): random_json(rng) for _ in range(rng.randint(1, 4))})
    return json.dumps({"resourceType": rng.choice(RESOURCE_TYPES), **body}).encode()


def _one_of(*makers: Callable[[random.Random], bytes]) -> Callable[[random.Random], bytes]:
    return lambda rng: rng.choice(makers)(rng)


GENERATORS: dict[str, Callable[[random.Random], bytes]] = {
    "case.yaml": _one_of(lambda r: mutate(CASE_YAML, r), lambda r: random_bytes(r, 300)),
    "text record": _one_of(lambda r: mutate(NOTE, r), lambda r: random_bytes(r, 300)),
    "FHIR JSON": _one_of(lambda r: mutate(FHIR, r), random_fhir, lambda r: random_bytes(r, 200)),
    "FHIR NDJSON": _one_of(
        lambda r: b"\n".join(random_fhir(r) for _ in range(r.randint(0, 4))),
        lambda r: mutate(FHIR.replace(b"\n", b""), r),
    ),
    "PDF": _one_of(lambda r: mutate(PDF, r), lambda r: random_bytes(r, 200)),
    "PDF with OCR": _one_of(lambda r: mutate(PDF, r), lambda r: random_bytes(r, 200)),
    "request": _one_of(lambda r: mutate(REQUEST, r), lambda r: random_text(r, 200).encode("utf-8")),
    "published letter": _one_of(
        lambda r: mutate(LETTER.encode(), r), lambda r: random_text(r, 300).encode("utf-8")
    ),
}
"""The same inputs as ``TARGETS``' strategies, drawn from a seeded ``random.Random``."""


TARGETS: dict[str, tuple[Callable[[bytes], None], st.SearchStrategy[bytes]]] = {
    "case.yaml": (_case_yaml, st.one_of(mutations(CASE_YAML), st.binary(max_size=300))),
    "text record": (_text, st.one_of(mutations(NOTE), st.binary(max_size=300))),
    "FHIR JSON": (_fhir, st.one_of(mutations(FHIR), fhir_like, st.binary(max_size=200))),
    "FHIR NDJSON": (
        _ndjson,
        st.one_of(
            st.lists(fhir_like, max_size=4).map(b"\n".join),
            mutations(FHIR.replace(b"\n", b"")),
        ),
    ),
    "PDF": (_pdf_target, st.one_of(mutations(PDF), st.binary(max_size=200))),
    "PDF with OCR": (_read_pdf, st.one_of(mutations(PDF), st.binary(max_size=200))),
    "request": (
        _request,
        st.one_of(
            mutations(REQUEST),
            st.text(max_size=200).map(str.encode),
        ),
    ),
    "published letter": (
        _letter,
        st.one_of(mutations(LETTER.encode()), st.text(max_size=300).map(str.encode)),
    ),
}


def run_one(name: str, data: bytes) -> str | None:
    """Feed ``data`` to target ``name``: None when it is read or refused as documented,
    else the crash (exception type and message)."""
    target, _ = TARGETS[name]
    try:
        target(data)
    except OpenIMRError:
        return None
    except Exception as exc:  # a crash: anything but the documented error
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def describe(data: Any) -> str:
    return repr(data[:120]) + ("..." if len(data) > 120 else "")
