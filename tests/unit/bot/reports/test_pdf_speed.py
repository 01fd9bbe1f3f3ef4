"""The page-reference shim: the same references as pydyf's own, kept current as pages are added."""

import pydyf

from bot.reports import pdf_speed


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

