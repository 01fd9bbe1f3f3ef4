"""The pydyf shims: the same page references as pydyf's own, kept current as pages are added;
streams deflated at zlib's default level and read back unchanged."""

import zlib

import pydyf

from bot.pdf import speed as pdf_speed


def _expected(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """What pydyf 0.13 builds on every call: each page object's reference, in page order."""
    return tuple(f"{number} 0 R".encode("ascii") for number in pdf.pages["Kids"][::3])


def _pdf_with(pages: int) -> pydyf.PDF:
    pdf = pydyf.PDF()
    for _ in range(pages):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    return pdf


def test_references_match_pydyfs_own_and_follow_new_pages():
    pdf_speed.install()
    pdf = _pdf_with(3)
    assert pdf.page_references == _expected(pdf)
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 4
    assert pdf.page_references == _expected(pdf)
    assert pdf.page_references[3] == f"{pdf.pages['Kids'][9]} 0 R".encode()


def test_installing_twice_keeps_one_shim():
    pdf_speed.install()
    installed = pydyf.PDF.page_references
    pdf_speed.install()
    assert pydyf.PDF.page_references is installed


def test_streams_are_deflated_at_the_default_level_and_read_back_whole():
    pdf_speed.install()
    content = b"\n".join(b"BT /F1 9 Tf 10 %d Td (Great Care) Tj ET" % n for n in range(2000))
    stream = pydyf.Stream([content], compress=True)
    written = stream.data
    deflated = written.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
    assert b"/Filter /FlateDecode" in written
    assert zlib.decompress(deflated) == content
    at_default = zlib.compressobj(pdf_speed.COMPRESSION_LEVEL)
    assert deflated == at_default.compress(content) + at_default.flush()
    assert pydyf.zlib.crc32 is zlib.crc32  # the rest of zlib is zlib's own
