"""OCR of scanned PDF pages: poppler's ``pdftoppm`` renders a page, Tesseract reads it.

Both are programs from Debian packages (``tesseract-ocr``, ``tesseract-ocr-eng``,
``poppler-utils``), called directly: no Python package is needed, and nothing is downloaded.
Only pages with no text layer are OCRed (``openimr.records.pdf``). The text Tesseract prints
is the page's text, as is, but for its closing form feed and trailing blank space.

Settings (environment): ``OPENIMR_OCR_LANG`` (Tesseract languages, default ``eng``),
``OPENIMR_OCR_DPI`` (rendering resolution, default 300), ``OPENIMR_TESSERACT`` and
``OPENIMR_PDFTOPPM`` (program paths, default: found on ``PATH``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openimr.errors import RecordError

INSTALL_HINT = (
    "install the Debian packages tesseract-ocr, tesseract-ocr-eng and poppler-utils "
    "(apt-get install -y tesseract-ocr tesseract-ocr-eng poppler-utils); see docs/records.md"
)
PAGE_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Ocr:
    """Where the OCR programs are and how to call them."""

    tesseract: str
    pdftoppm: str
    lang: str = "eng"
    dpi: int = 300

    @classmethod
    def find(cls) -> Ocr | None:
        """The OCR programs on this machine, or ``None`` when one is missing."""
        tesseract = os.environ.get("OPENIMR_TESSERACT") or shutil.which("tesseract")
        pdftoppm = os.environ.get("OPENIMR_PDFTOPPM") or shutil.which("pdftoppm")
        if not tesseract or not pdftoppm:
            return None
        lang = os.environ.get("OPENIMR_OCR_LANG", "eng").strip() or "eng"
        try:
            dpi = int(os.environ.get("OPENIMR_OCR_DPI", "300"))
        except ValueError:
            dpi = 300
        return cls(tesseract=tesseract, pdftoppm=pdftoppm, lang=lang, dpi=max(72, dpi))

    @staticmethod
    def missing() -> list[str]:
        """The OCR programs that cannot be found (empty when OCR is available)."""
        out = []
        if not (os.environ.get("OPENIMR_TESSERACT") or shutil.which("tesseract")):
            out.append("tesseract")
        if not (os.environ.get("OPENIMR_PDFTOPPM") or shutil.which("pdftoppm")):
            out.append("pdftoppm")
        return out

    def page_text(self, pdf: Path, number: int, display: str) -> str:
        """The text of page ``number`` (1-based) of ``pdf``, read by Tesseract."""
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        with tempfile.TemporaryDirectory(prefix="openimr-ocr-") as tmp:
            image_root = Path(tmp) / "page"
            self._run(
                [
                    self.pdftoppm,
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    "-r",
                    str(self.dpi),
                    "-gray",
                    "-png",
                    "-singlefile",
                    str(pdf),
                    str(image_root),
                ],
                display,
                number,
                env,
            )
            image = image_root.with_suffix(".png")
            if not image.is_file():
                raise RecordError(f"page {number}: pdftoppm made no image to OCR", file=display)
            out = self._run(
                [
                    self.tesseract,
                    str(image),
                    "stdout",
                    "-l",
                    self.lang,
                    "--psm",
                    "3",
                    "-c",
                    "page_separator=",
                ],
                display,
                number,
                env,
            )
        text = out.decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").rstrip("\f \t\n")

    @staticmethod
    def _run(args: list[str], display: str, number: int, env: dict[str, str]) -> bytes:
        program = Path(args[0]).name
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                check=False,
                timeout=PAGE_TIMEOUT_SECONDS,
                env=env,
            )
        except subprocess.TimeoutExpired:
            raise RecordError(
                f"page {number}: {program} took over {PAGE_TIMEOUT_SECONDS} s", file=display
            ) from None
        except OSError as exc:
            raise RecordError(
                f"page {number}: cannot run {program}: {exc.strerror}", file=display
            ) from None
        if done.returncode != 0:
            # the programs' messages name files and options, never page content
            message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            why = message[-1] if message else f"exit status {done.returncode}"
            raise RecordError(f"page {number}: {program} failed: {why}", file=display)
        return done.stdout
