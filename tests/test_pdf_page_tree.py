"""Reading a PDF's first pages walks its page tree only as far as it needs: inherited attributes kept,
loops and runaway trees ended, and a file declaring tens of thousands of pages read as fast as a short one
(pypdf's own page list resolves every page first)."""

from __future__ import annotations

import zlib

from sources.evidence.documents import from_pdf
from tests.simweb.formats.pdf import _tail

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _content(text: str) -> bytes:
    data = b"BT /F1 10 Tf 72 700 Td (%s) Tj ET\n" % text.encode("ascii")
    packed = zlib.compress(data)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)


def _pdf(bodies: list[bytes]) -> bytes:
    """Objects 1..N in order (object 1 the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    return bytes(out) + _tail(offsets, len(out)).replace(b" /Info 5 0 R", b"")


def _nested(pages_per_branch: int, branches: int, *, loop: bool = False) -> bytes:
    """Catalog (1), root /Pages with the font resources (2), a font (3), one content stream per page,
    ``branches`` intermediate /Pages nodes, then the pages, which set no /Resources of their own."""
    n_pages = pages_per_branch * branches
    first_stream, first_branch = 4, 4 + n_pages
    first_page = first_branch + branches
    branch_refs = b" ".join(b"%d 0 R" % (first_branch + b) for b in range(branches))
    if loop:
        branch_refs += b" 2 0 R"          # the root lists itself among its kids
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>",
              b"<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> "
              b"/MediaBox [0 0 612 792] >>" % (branch_refs, n_pages),
              _FONT]
    bodies += [_content(f"Performance report page {k + 1}") for k in range(n_pages)]
    for b in range(branches):
        kids = b" ".join(b"%d 0 R" % (first_page + b * pages_per_branch + k) for k in range(pages_per_branch))
        bodies.append(b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>" % (kids, pages_per_branch))
    for k in range(n_pages):
        bodies.append(b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R >>"
                      % (first_branch + k // pages_per_branch, first_stream + k))
    return _pdf(bodies)


def test_pages_read_in_order_with_resources_inherited_from_the_tree() -> None:
    doc = from_pdf(_nested(3, 2))
    assert doc.error is None and doc.pages == 6
    assert [line for line in doc.text.split("\n")] == [f"Performance report page {k}" for k in range(1, 7)]


def test_only_the_pages_read_are_resolved_from_a_huge_tree() -> None:
    doc = from_pdf(_nested(500, 40), max_pages=5)       # 20,000 pages declared
    assert doc.pages == 5 and doc.text.split("\n")[-1] == "Performance report page 5"


def test_a_page_tree_that_loops_ends_the_walk() -> None:
    doc = from_pdf(_nested(2, 2, loop=True))
    assert doc.pages == 4 and doc.error is None


def _with_bad_pages(bad: set[int], pages: int) -> bytes:
    """Catalog (1), root /Pages (2), font (3), then per page a content stream and the page; the pages in
    ``bad`` use a filter PDF does not define, which pypdf refuses for that page only."""
    kids = b" ".join(b"%d 0 R" % (5 + 2 * k) for k in range(pages))
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>",
              b"<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> "
              b"/MediaBox [0 0 612 792] >>" % (kids, pages), _FONT]
    for k in range(pages):
        bodies.append(b"<< /Length 5 /Filter /NoSuchFilter >>\nstream\nabcde\nendstream" if k + 1 in bad
                      else _content(f"Performance report page {k + 1}"))
        bodies.append(b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>" % (4 + 2 * k))
    return _pdf(bodies)


def test_an_unreadable_page_costs_only_itself() -> None:
    """A long report with one damaged page early on kept only the pages before it."""
    doc = from_pdf(_with_bad_pages({2}, 4))
    assert doc.text.split("\n") == ["Performance report page 1", "Performance report page 3",
                                    "Performance report page 4"]
    assert doc.pages == 3 and doc.error is not None and doc.error.startswith("page 2 unreadable (")


def test_a_pdf_broken_throughout_is_left_after_a_few_bad_pages() -> None:
    doc = from_pdf(_with_bad_pages(set(range(1, 9)), 10))
    assert doc.text == "" and "pages 1, 2, 3, 4, 5 unreadable" in (doc.error or "")
    assert "reading stopped after 5 unreadable pages" in (doc.error or "")
