"""Turn a fetched page or document into the text a reader would see, plus its title and links.

The classifier must judge what a page says, not what every page of the site repeats: navigation,
headers, footers, scripts and forms are removed before text is extracted, so a site-wide "Open Data"
menu item never makes a page about parking fines look like open data evidence. PDFs (performance
reports, policies) are read with pypdf up to a page cap; a PDF that cannot be read yields an error
string, not an exception.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import pypdf
from bs4 import BeautifulSoup, CData, NavigableString

#: Elements whose text is chrome, not content.
_CHROME = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
           "iframe", "button", "select")
#: class/id fragments that mark chrome in sites that do not use semantic elements.
_CHROME_HINT = re.compile(r"(^|[-_ ])(nav|navbar|menu|breadcrumb|footer|header|sidebar|skip|cookie|banner|"
                          r"social|share)([-_ ]|$)", re.I)
DEFAULT_PDF_PAGES = 40
#: One PDF read at a time in the process: reading is CPU-bound (little lost under the GIL by waiting), and
#: a decompression bomb costs pypdf ~150 MB before its output limit stops it; two at once measured a
#: 400 MB peak RSS in the crawl benchmark.
_PDF_SLOTS = threading.BoundedSemaphore(1)
#: Per-stream budgets for pypdf: content operators parsed, bytes a compressed stream may inflate to.
PDF_PARSE_WORK = 200_000
#: Anchor text kept per link; a list item or cell longer than LINK_ITEM_CHARS is content, not a signpost.
ANCHOR_CHARS = 120
LINK_ITEM_CHARS = 300
_NESTED_LISTS = frozenset({"ul", "ol", "dl", "table", "tbody", "tr"})
PDF_STREAM_BYTES = 16 * 1024 * 1024
MAX_TEXT_CHARS = 200_000


@dataclass
class Document:
    url: str | None
    kind: str                          # html | pdf | text
    title: str | None
    text: str                          # visible content text, whitespace-normalized per block
    links: list[tuple[str, str]] = field(default_factory=list)   # (absolute url, anchor text), chrome included
    pages: int | None = None           # PDF pages read
    error: str | None = None           # why text could not be extracted


def from_html(html: str, url: str | None = None) -> Document:
    soup = BeautifulSoup(html, "html.parser")
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else None
    links = []
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        target = urldefrag(urljoin(url or "", href))[0]
        links.append((target, _capped_text(a, ANCHOR_CHARS, max_nodes=200)))
    for tag in soup.find_all(_CHROME):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ("navigation", "banner", "contentinfo", "search")}):
        tag.decompose()
    doomed = [t for t in soup.find_all(True)
              if t.name not in ("html", "body", "main", "article") and _CHROME_HINT.search(_hint(t))]
    gone: set[int] = set()
    for tag in doomed:
        if id(tag) not in gone:
            _decompose(tag, gone)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    _drop_link_lists(root)
    blocks = [" ".join(s.split()) for s in root.get_text("\n").split("\n")]
    text = "\n".join(b for b in blocks if b)[:MAX_TEXT_CHARS]
    h1 = root.find("h1") if hasattr(root, "find") else None
    if not title and h1:
        title = " ".join(h1.get_text(" ").split())
    return Document(url, "html", title[:300] if title else None, text, links)


def _drop_link_lists(root) -> None:
    """Remove list items and table cells that are nothing but a link: a page listing "Open Data Policy"
    among its links is a signpost to the evidence, not the evidence (the crawl follows the link)."""
    gone: set[int] = set()
    for item in root.find_all(("li", "dt", "dd", "td")) if hasattr(root, "find_all") else []:
        if id(item) in gone or any(getattr(c, "name", None) in _NESTED_LISTS for c in item.children):
            continue   # an item holding a list or table is a container; its own items are judged one by one
        # Read at most a short item's worth of text: unclosed <li> tags nest, and reading each one's whole
        # subtree would make a hostile page quadratic. An item longer than that is content, not a signpost.
        text = _capped_text(item, LINK_ITEM_CHARS)
        if not text or len(text) >= LINK_ITEM_CHARS:
            continue
        anchors = " ".join(_capped_text(a, LINK_ITEM_CHARS) for a in item.find_all("a", limit=20))
        if text and anchors and len(anchors) >= 0.8 * len(text):
            _decompose(item, gone)


def _decompose(tag, gone: set[int]) -> None:
    """Decompose ``tag`` and remember its descendants as gone. (Asking a tag ``.decomposed`` is no
    cheaper: on an old tag bs4 falls back to searching its whole subtree, quadratic on nested markup.)"""
    gone.update(id(t) for t in tag.find_all(True))
    gone.add(id(tag))
    tag.decompose()


def _capped_text(tag, limit: int, max_nodes: int = 500) -> str:
    """The tag's text, whitespace collapsed, read only until ``limit`` characters or ``max_nodes`` nodes.
    Walks ``contents`` itself: bs4's own string iterators look up the subtree's end first, which costs
    the whole nesting depth on every call and makes nested hostile markup quadratic."""
    parts, size, seen = [], 0, 0
    stack = [iter(tag.contents)]
    while stack and size < limit and seen < max_nodes:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        seen += 1
        if type(child) in (NavigableString, CData):
            parts.append(str(child))
            size += len(child)
        elif getattr(child, "contents", None):
            stack.append(iter(child.contents))
    return " ".join(" ".join(parts).split())[:limit]


def _hint(tag) -> str:
    attrs = tag.attrs or {}
    classes = attrs.get("class") or []
    return " ".join([*(classes if isinstance(classes, list) else [str(classes)]), str(attrs.get("id") or "")])


def from_pdf(data: bytes, url: str | None = None, *, max_pages: int = DEFAULT_PDF_PAGES) -> Document:
    """Text of the first ``max_pages`` pages, page by page: a page that cannot be read (a decompression
    bomb, a damaged stream) ends the reading with an error, and the pages before it are kept.
    Encrypted, damaged or image-only PDFs give an error string, never an exception."""
    # Tighter work limits than pypdf's defaults: a 20 KB file can otherwise ask for minutes of CPU and
    # hundreds of MB per page (one shared stream of millions of operators) while every other PDF waits.
    with _PDF_SLOTS, pypdf.apply_configuration(stream_parsing_work_maximum_count=PDF_PARSE_WORK,
                                               zlib_maximum_output_length=PDF_STREAM_BYTES):
        return _read_pdf(data, url, max_pages)


def _read_pdf(data: bytes, url: str | None, max_pages: int) -> Document:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - pypdf raises several types for bad keys
                return Document(url, "pdf", None, "", error=f"encrypted PDF: {exc}")
        title = None
        meta = reader.metadata
        if meta is not None and meta.title:
            title = " ".join(str(meta.title).split())[:300] or None
        pages = reader.pages
        count = len(pages)
    except Exception as exc:  # noqa: BLE001 - malformed PDFs raise from deep inside the parser
        return Document(url, "pdf", None, "", error=f"unreadable PDF: {type(exc).__name__}: {exc}")
    texts, read, error = [], 0, None
    for k in range(min(count, max_pages)):
        try:
            texts.append(pages[k].extract_text() or "")
            read += 1
        except Exception as exc:  # noqa: BLE001 - one bad page must not cost the others
            error = f"page {k + 1} unreadable: {type(exc).__name__}: {str(exc)[:200]}"
            break
    text = "\n".join(" ".join(line.split()) for t in texts for line in t.splitlines() if line.strip())
    if not text:
        return Document(url, "pdf", title, "", pages=read, error=error or "no extractable text (scanned PDF?)")
    if not title:
        title = text.split("\n", 1)[0][:200]
    return Document(url, "pdf", title, text[:MAX_TEXT_CHARS], pages=read, error=error)


def from_text(text: str, url: str | None = None, title: str | None = None) -> Document:
    lines = [" ".join(x.split()) for x in text.splitlines()]
    return Document(url, "text", title, "\n".join(x for x in lines if x)[:MAX_TEXT_CHARS])


def sniff(data: bytes, content_type: str | None = None, url: str | None = None) -> str:
    """html, pdf, xml, text or binary, from the bytes first (servers mislabel), then the declared type,
    then the URL. Only a declared text type (or none at all) is read as plain text: images, archives and
    the like are binary."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered or b"<div" in lowered:
        return "html"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if "pdf" in ctype or (url or "").lower().endswith(".pdf"):
        return "pdf"
    if "html" in ctype:
        return "html"
    if "xml" in ctype or lowered.startswith(b"<?xml"):
        return "xml"    # feeds and sitemaps: structure, not prose
    return "text" if ctype in ("", "text/plain") else "binary"


def load(data: bytes, *, content_type: str | None = None, url: str | None = None, encoding: str = "utf-8",
         max_pdf_pages: int = DEFAULT_PDF_PAGES, text: str | None = None) -> Document:
    """Any fetched body to a Document, by what it really is. ``text``: the body already decoded by a
    caller that knows the charset (a fetched response); else ``encoding`` with replacement."""
    kind = sniff(data, content_type, url)
    if kind in ("xml", "binary"):
        why = "XML document (sitemap or feed)" if kind == "xml" else f"binary content ({content_type or 'unknown type'})"
        return Document(url, kind, None, "", error=f"{why}, not read as a page")
    if kind == "pdf":
        return from_pdf(data, url, max_pages=max_pdf_pages)
    decoded = text if text is not None else data.decode(encoding, errors="replace")
    return from_html(decoded, url) if kind == "html" else from_text(decoded, url)
