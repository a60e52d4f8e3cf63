"""Checks of an uploaded Office file (.docx, .xlsx) before any parser touches it.

Why (issue 11, findings 6–8): a .docx or .xlsx is a zip of XML. A 201 KB .docx that
expands to 50 MB of XML kept the API process parsing for 57 s at ~950 MB; a 358 KB .xlsx
of a million rows took 60 s before the row cap refused it; a truncated or entity-laden
file ended in a 500. Here, from the zip's central directory alone (no decompression):
the number of entries, the total uncompressed size and the compression ratio of each
entry are bounded; then every XML part is streamed through once (bounded by that size) to refuse DTDs
(Office files never contain one; entity expansion needs one). Python's ``zipfile``, which
python-docx and openpyxl read through, never inflates an entry past its declared size
(it fails the CRC instead), so the declared sizes checked here bound the real work.
"""

from __future__ import annotations

import io
import zipfile

from assistant.kb.errors import InvalidInput

MAX_ENTRIES = 1000
MAX_RATIO = 200  # uncompressed / compressed of one entry; plain Office XML stays under ~30
_CHUNK = 1 << 16

KINDS = {
    "docx": ("Word (.docx)", "word/document.xml"),
    "xlsx": ("Excel (.xlsx)", "xl/workbook.xml"),
}


def check_ooxml(data: bytes, kind: str, max_uncompressed: int) -> None:
    """Raise :class:`InvalidInput` (Vietnamese) unless ``data`` is a sane Office file."""
    label, main_part = KINDS[kind]
    broken = InvalidInput(f"Tệp {label} bị hỏng hoặc không đúng định dạng.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise InvalidInput(f"Tệp {label} có quá nhiều thành phần ({len(infos)}; "
                                   f"tối đa {MAX_ENTRIES}).")
            names = {i.filename for i in infos}
            if main_part not in names:
                raise broken
            total = sum(i.file_size for i in infos)
            if total > max_uncompressed:
                raise InvalidInput(
                    f"Tệp {label} khi giải nén quá lớn ({total / 1e6:.0f} MB; tối đa "
                    f"{max_uncompressed / 1e6:.0f} MB). Hãy chia nhỏ tệp.")
            for info in infos:
                if info.flag_bits & 0x1:
                    raise InvalidInput(f"Tệp {label} được mã hóa bằng mật khẩu; hãy lưu lại "
                                       "không mật khẩu.")
                if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1_000_000:
                    raise InvalidInput(f"Tệp {label} có thành phần nén bất thường (nghi ngờ "
                                       "“bom nén”); không xử lý.")
                if info.filename.endswith((".xml", ".rels")) and _declares_dtd(zf, info):
                    raise InvalidInput(f"Tệp {label} chứa khai báo XML không được phép "
                                       "(DOCTYPE/ENTITY).")
    except InvalidInput:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, NotImplementedError…
        raise broken from exc


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether the part holds ``<!DOCTYPE`` or ``<!ENTITY`` anywhere (streamed in chunks;
    a comment in front cannot hide one, as it could from a look at the first bytes)."""
    tail = b""
    with zf.open(info) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                return True
            tail = window[-9:]
    return False
