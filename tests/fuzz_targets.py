"""Fuzz targets over every parser, for the short pass in the tests (``test_fuzz_parsers.py``) and
the long one in ``benchmarks/fuzz_parsers.py``.

Each target feeds one input to one parser. The parser may accept it or refuse it with an
:class:`~openimr.errors.OpenIMRError` (the documented error, naming the file); anything else
(a ``KeyError``, ``RecursionError``, ``MemoryError`` ...) is a crash.
"""

from __future__ import annotations

import json
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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
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
            )
            | st.text(max_size=10),
            children,
            max_size=6,
        )
    ),
    max_leaves=40,
)

fhir_like = st.builds(
    lambda rt, body: json.dumps({"resourceType": rt, **body}).encode(),
    st.sampled_from(
        [
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
    ),
    st.dictionaries(st.text(max_size=12), json_values, max_size=6),
)


def _case_yaml(data: bytes) -> None:
    from openimr.service.intake import read_case

    read_case(data, {"records/note.txt": NOTE})


def _text(data: bytes) -> None:
    from openimr.records.readers import read_text

    read_text(data, "records/note.txt", "0" * 64)


def _fhir(data: bytes) -> None:
    from openimr.records.fhir import read_fhir

    read_fhir(data, "records/fhir.json", "0" * 64)


def _ndjson(data: bytes) -> None:
    from openimr.records.fhir import read_fhir_ndjson

    read_fhir_ndjson(data, "records/bulk.ndjson", "0" * 64)


def _pdf_target(data: bytes) -> None:
    from openimr.records.pdf import read_pdf

    with tempfile.TemporaryDirectory(prefix="openimr-fuzz-") as tmp:
        path = Path(tmp) / "record.pdf"
        path.write_bytes(data)
        read_pdf(path, "records/record.pdf", "0" * 64)


def _request(data: bytes) -> None:
    from openimr.request import parse_request

    parse_request(data.decode("utf-8", "replace"))


def _letter(data: bytes) -> None:
    from openimr.letters.parser import parse_text

    parse_text(data.decode("utf-8", "replace"), "letter.txt")


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
    "request": (
        _request,
        st.one_of(
            mutations(b"Physical therapy 2x/week x 6 weeks for the lumbar spine (L4-5), 12 visits"),
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
