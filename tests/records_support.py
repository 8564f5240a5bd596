"""Make test PDFs: text PDFs with WeasyPrint, scanned (image-only) PDFs with Pillow."""

from __future__ import annotations

import html
import io
import shutil
from pathlib import Path

from openimr.model import Fact, Record, RecordPage

DATA = Path(__file__).resolve().parent / "data" / "records"
HAVE_OCR = bool(shutil.which("tesseract") and shutil.which("pdftoppm"))
NO_OCR_REASON = (
    "OCR programs missing: apt-get install -y tesseract-ocr tesseract-ocr-eng poppler-utils"
)

_CSS = (
    "@page { size: letter; margin: 0.75in } "
    "body { font-family: sans-serif; font-size: 10pt } "
    "pre { white-space: pre-wrap; font-family: inherit; margin: 0 } "
    ".page { break-after: page } .page:last-child { break-after: auto }"
)


def text_pdf(pages: list[str], path: Path) -> Path:
    """A PDF with a text layer: one page per string (each must fit on one page)."""
    from weasyprint import HTML

    body = "".join(f'<pre class="page">{html.escape(p)}</pre>' for p in pages)
    HTML(string=f"<html><head><style>{_CSS}</style></head><body>{body}</body></html>").write_pdf(
        str(path)
    )
    return path


def scanned_pdf(pages: list[str], path: Path) -> Path:
    """An image-only PDF (no text layer), as a scanner or a fax would make it, 200 dpi."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=34)
    images = []
    for page in pages:
        img = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(img)
        y = 150
        for line in page.splitlines():
            draw.text((150, y), line, fill=0, font=font)
            y += 52
        images.append(img)
    images[0].save(str(path), resolution=200, save_all=True, append_images=images[1:])
    return path


def merge_pdfs(parts: list[Path], path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(str(part)).pages:
            writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


def text_record(text: str, path: str = "records/note.txt") -> Record:
    """A one-page text record of ``text``."""
    return Record(
        path=path, kind="text", text=text, pages=(RecordPage(number=1, start=0, end=len(text)),)
    )


def facts_of(text: str) -> list[Fact]:
    """The facts openimr extracts from ``text`` as a one-page record."""
    from openimr.extract import extract_facts

    return extract_facts([text_record(text)])
