"""Turn a fetched page or document into the text a reader would see, plus its title and links.

The classifier must judge what a page says, not what every page of the site repeats: navigation,
headers, footers, scripts and forms are removed before text is extracted, so a site-wide "Open Data"
menu item never makes a page about parking fines look like open data evidence. PDFs (performance
reports, policies) are read with pypdf up to a page cap; a PDF that cannot be read yields an error
string, not an exception.
"""

from __future__ import annotations

import codecs
import io
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import pypdf
from bs4 import CData, Comment, NavigableString, Tag

from sources.markup import parse_html

#: Elements that never hold text a reader sees as content.
_NEVER_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "button", "select", "textarea"})
#: Landmarks that are chrome wherever they are (``header`` and ``form`` are judged by context, below).
_CHROME = ("nav", "footer", "aside")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
#: A fragment inside a class that only describes the layout around it ("page-w-sidebar", "layout-has-sidebar",
#: Weebly's "wsite-not-footer"): the element is the page beside the chrome, not the chrome.
_LAYOUT_MODIFIER = "".join(rf"(?<![-_]{word})" for word in ("no", "not", "non", "has", "with", "without")
                           ) + r"(?<![a-z0-9][-_]w)"     # "page-w-sidebar", not Webflow's "w-nav"
#: A class that starts by negating or describing what it names ("not-banner-header", "no-header-page",
#: "has-nav"): dropped by _chrome_hint before any chrome or header name is read.
_NEGATED_CLASS = re.compile(r"^(no|not|non|without|has|with)[-_]", re.I)
#: class/id fragments that mark chrome in sites that do not use semantic elements.
_CHROME_HINT = re.compile(rf"(^| |{_LAYOUT_MODIFIER}[-_])(nav|navbar|menu|breadcrumbs?|footer|sidebar|skip|cookie|"
                          r"social|share)([-_ ]|$)", re.I)
#: Fragments that mark a site's banner, or a content block's own heading: CMSs name the heading of a view,
#: page, entry, card or module "header" (Drupal ``view-header``, WordPress ``entry-header``, CivicPlus
#: ``div.header`` above an agenda list). Such an element is chrome only outside the page's content.
_HEADER_HINT = re.compile(rf"(^| |{_LAYOUT_MODIFIER}[-_])(header|masthead|banner)([-_ ]|$)", re.I)
#: class/id fragments of the containers CMSs put the page's own content in.
_CONTENT_HINT = re.compile(r"(^|[-_ ])(content|maincontent|article|entry|hentry|post|story)([-_ ]|$)", re.I)
#: A form (search box, sign-up, filter) is chrome unless this much text is found in its first
#: FORM_NODES nodes (controls and scripts are already gone by then).
FORM_TEXT_CHARS = 200
#: How far up an ``article`` is looked for a chrome ancestor (bounded: nested hostile markup stays linear).
CHROME_ANCESTORS = 40
#: A ``main`` landmark with less text than this, on a page whose body has MAIN_BODY_FACTOR times as much text
#: outside links, is a template's empty shell (a heading, a banner image) and the page's text lies outside it:
#: read the body. (Outside links: a long menu beside a short page is no reason to leave ``main``.)
MAIN_MIN_CHARS = 200
MAIN_BODY_FACTOR = 5
#: An element that is chrome only by a sidebar name (themes name the page's wrappers after the sidebar beside
#: it: "s5_responsive_mobile_sidebar_body_wrap", "template-sidebar-right") is a wrapper, not chrome, when it
#: holds this much text outside links (a sidebar's words are mostly links), the page's content container, or
#: nearly all the text being read. Menus, footers and cookie notices are never wrappers, however long.
#: Judged on at most WRAPPER_NODES nodes, for at most WRAPPER_CHECKS elements a page.
WRAPPER_PROSE_CHARS = 1500
WRAPPER_NODES = 3000
WRAPPER_CHECKS = 20
#: Such an element holding this share of the text of the whole region being read is the page itself (a theme's
#: outer "upper tmnf-sidebar-active" div around a list of agenda links): chrome is a part of a page, never
#: nearly all of it. Texts are counted on at most WRAPPER_PAGE_NODES nodes.
WRAPPER_SHARE = 0.8
WRAPPER_CHECK_CHARS = 200               # an element with less is not weighed (icons and buttons spend no checks)
WRAPPER_PAGE_NODES = 20_000
FORM_NODES = 2000
#: Links read from HTML comments (menus a site commented out still name its pages): a budget of
#: comment characters parsed per page, and of links taken from them.
COMMENT_CHARS = 1_000_000
COMMENT_LINKS = 500
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
#: Words per link from which a linked item reads as a title or a sentence ("Board of Ethics - Subcommittee
#: Interview Panel"), not a signpost's label ("Open Data Portal"), and is kept as text.
TITLE_WORDS = 6
_NESTED_LISTS = frozenset({"ul", "ol", "dl", "table", "tbody", "tr"})
_LINK_ITEMS = frozenset({"li", "dt", "dd", "td"})
_ANCHOR = frozenset({"a"})
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
    # Attributes stay strings (``class`` is not split into a list: a fifth of the parse time, for a list
    # ``_hint`` would join again).
    soup = parse_html(html, multi_valued_attributes=None)
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else None
    anchors, comments, never_text = _scan(soup)
    links = _links(anchors, comments, url)
    for tag in never_text:
        tag.decompose()
    root = _content_root(soup)
    _strip_chrome(root)
    _drop_link_lists(root)
    text = _lines(root.get_text("\n"))
    h1 = root.find("h1") if hasattr(root, "find") else None
    if not title and h1:
        title = " ".join(h1.get_text(" ").split())
    return Document(url, "html", title[:300] if title else None, text, links)


def _scan(soup) -> tuple[list[Tag], list[Comment], list[Tag]]:
    """One walk over the parsed page, in document order: the anchors with an href, the HTML comments, and
    the elements that never hold text. (bs4's ``find_all`` builds a matcher per call and runs it on every
    node; three of them per page were a third of the crawl's HTML time.)"""
    anchors, comments, never_text = [], [], []
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "a":
                if node.get("href") is not None:
                    anchors.append(node)
            elif node.name in _NEVER_TEXT:
                never_text.append(node)
        elif isinstance(node, Comment):
            comments.append(node)
    return anchors, comments, never_text


def _tags(root, names: frozenset[str] | None = None, limit: int | None = None) -> list[Tag]:
    """The elements under ``root`` (named one of ``names``, when given) in document order, at most ``limit``."""
    out: list[Tag] = []
    for node in root.descendants:
        if isinstance(node, Tag) and (names is None or node.name in names):
            out.append(node)
            if limit is not None and len(out) >= limit:
                break
    return out


def _links(anchors: list[Tag], comments: list[Comment], url: str | None) -> list[tuple[str, str]]:
    """Every link of the page, chrome included, then the links of menus the site left in HTML comments
    (a commented-out menu still names the site's pages; they come last, so a visible anchor wins).
    Comments are read up to COMMENT_CHARS in all, one level deep."""
    links = _anchors(anchors, url)
    budget, hidden = COMMENT_CHARS, list[tuple[str, str]]()
    for comment in comments:
        if budget <= 0 or len(hidden) >= COMMENT_LINKS:
            break
        if "<a" in comment or "<A" in comment:
            part = str(comment)[:budget]
            budget -= len(part)
            inner = _scan(parse_html(part))[0]
            hidden.extend(_anchors(inner, url)[:COMMENT_LINKS - len(hidden)])
    return links + hidden


def _anchors(anchors: list[Tag], url: str | None) -> list[tuple[str, str]]:
    links = []
    for a in anchors:
        href = str(a["href"]).strip()
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        links.append((urldefrag(urljoin(url or "", href))[0], _capped_text(a, ANCHOR_CHARS, max_nodes=200)))
    return links


def _content_root(soup):
    """Where the page's own content is: the first ``main`` or ``[role=main]`` region (the outermost,
    when one nests in another); else the page's only ``article``, widened to the post or content
    container around it when there is one close by (WordPress puts a post's title and lead in a
    ``header`` beside its ``article``); else the body."""
    main, articles = None, []
    for node in soup.descendants:
        if not isinstance(node, Tag):
            continue
        if node.name == "main" or _attr(node, "role") == "main":
            main = node
            break
        if node.name == "article" and len(articles) < 2 and not _in_chrome(node):   # two settle it
            articles.append(node)
    if main is not None:
        body = soup.body
        if (body is not None and not _has_text(main, MAIN_MIN_CHARS, FORM_NODES)
                and _prose_chars(body, MAIN_MIN_CHARS * MAIN_BODY_FACTOR, WRAPPER_PAGE_NODES)
                >= MAIN_MIN_CHARS * MAIN_BODY_FACTOR):
            return body
        return main
    if len(articles) != 1:
        return soup.body or soup
    root = parent = articles[0]
    for _ in range(3):
        parent = parent.parent
        if parent is None or parent.name in ("body", "html", "[document]"):
            break
        if _CONTENT_HINT.search(_hint(parent)):
            root = parent
    return root


def _in_chrome(tag) -> bool:
    """Whether an ancestor of ``tag`` is chrome by element, role or name: an ``article`` card in a mega-menu or a
    teaser in a sidebar is not the page's one article."""
    parent, steps = tag.parent, 0
    while parent is not None and parent.name not in ("body", "html", "[document]") and steps < CHROME_ANCESTORS:
        steps += 1
        hint = _chrome_hint(parent)
        if (parent.name in _CHROME or _attr(parent, "role") in _CHROME_ROLES or _CHROME_HINT.search(hint)
                or parent.name == "header" or _HEADER_HINT.search(hint)):
            return True
        parent = parent.parent
    return False


def _strip_chrome(root) -> None:
    """Remove the navigation, banners, footers, sidebars and forms inside ``root``, in one walk from the
    top (each element is looked at once; a removed element's subtree is not walked).

    A landmark root (``main``, ``[role=main]``, ``article``) is content throughout, and so is everything
    inside an element that names itself content (``#content``, ``.entry-content``, ``.region-content``).
    In content, a header (the ``header`` element, or a class such as ``view-header``, ``page-header``)
    is the content's own heading and intro and is kept; outside it, it is the site's banner. Navigation,
    menus, footers and sidebars are chrome anywhere. A form (search, sign-up, filters) is chrome unless
    it holds a page's worth of text: ASP.NET sites (CivicPlus, DotNetNuke, iQM2, Granicus) wrap the
    whole page in one form. A form inside a kept form is not judged again (browsers ignore nested
    forms), so no node is read by more than one form's judgment.
    """
    scoped = getattr(root, "name", None) in ("main", "article") or _attr(root, "role") == "main"
    gone: set[int] = set()
    checks = WRAPPER_CHECKS
    whole: list[int] = []                 # the region's text size, counted once, when first needed
    stack = [(root, scoped, getattr(root, "name", None) == "form")]
    while stack:
        tag, in_content, in_form = stack.pop()
        for child in list(tag.children):
            name = getattr(child, "name", None)
            if name is None:
                continue
            hint = _chrome_hint(child)
            chrome = _is_chrome(child, name, hint, in_content)
            if (chrome and checks > 0 and _named_chrome_only(child, name, hint)
                    and _has_text(child, WRAPPER_CHECK_CHARS, WRAPPER_NODES)):
                checks -= 1
                chrome = not _is_wrapper(child, root, whole)
            if chrome or (name == "form" and not in_form and not _has_text(child, FORM_TEXT_CHARS, FORM_NODES)):
                _decompose(child, gone)
                continue
            inner = in_content or name in ("main", "article") or _attr(child, "role") == "main" or bool(
                _CONTENT_HINT.search(hint))
            stack.append((child, inner, in_form or name == "form"))


def _is_chrome(tag, name: str, hint: str, in_content: bool) -> bool:
    if name in _CHROME or _attr(tag, "role") in _CHROME_ROLES:
        return True
    if name in ("main", "article") or _attr(tag, "role") == "main":
        return False   # a content landmark is content, whatever its classes say
    if _CHROME_HINT.search(hint):
        return True
    if name == "header" or _HEADER_HINT.search(hint):
        return not in_content
    return False


def _chrome_hint(tag) -> str:
    """The element's classes and id, less those that negate or describe what they name ("not-banner-header")."""
    return " ".join(t for t in _hint(tag).split() if not _NEGATED_CLASS.match(t))


def _is_wrapper(tag, root, whole: list[int]) -> bool:
    """Whether a sidebar-named ``tag`` wraps the page: prose outside links, the content container, or nearly
    all of ``root``'s text (counted once into ``whole``, when first needed)."""
    if (_prose_chars(tag, WRAPPER_PROSE_CHARS, WRAPPER_NODES) >= WRAPPER_PROSE_CHARS
            or _holds_content(tag, WRAPPER_NODES)):
        return True
    if not whole:
        whole.append(_text_chars(root, WRAPPER_PAGE_NODES))
    return _text_chars(tag, WRAPPER_PAGE_NODES) >= WRAPPER_SHARE * whole[0]


def _named_chrome_only(tag, name: str, hint: str) -> bool:
    """Whether ``tag`` is chrome only by a sidebar name in its class or id (not a ``nav``/``footer``/``aside``
    element, not an ARIA landmark, not a site header, not named menu, footer or cookie): a layout wrapper is
    named after the sidebar beside it; nothing else is named so."""
    return (name not in _CHROME and name != "header" and _attr(tag, "role") not in _CHROME_ROLES
            and bool(_CHROME_HINT.search(hint)) and not _CHROME_HINT.search(_SIDEBAR.sub(" ", hint)))


def _prose_chars(tag, limit: int, max_nodes: int) -> int:
    """Characters of text (whitespace aside) under ``tag`` outside links, counted up to ``limit`` within
    ``max_nodes`` nodes: a menu's words are its links, a page's are not."""
    size = 0
    for node in _walk(tag, max_nodes, skip=_ANCHOR):
        if type(node) in (NavigableString, CData):
            size += len("".join(str(node).split()))
            if size >= limit:
                break
    return size


#: Class or id tokens only a page's own content container carries (not "widget-content": a sidebar's
#: widgets are named so too).
_CONTENT_CONTAINER = frozenset({"main-content", "maincontent", "site-content", "page-content", "entry-content",
                                "post-content", "primary-content", "content-area"})
#: A sidebar word inside a class or id, as _CHROME_HINT reads it.
_SIDEBAR = re.compile(r"sidebar", re.I)


def _holds_content(tag, max_nodes: int) -> bool:
    """Whether ``tag`` holds the page's content landmark (``main``, ``[role=main]``) or its content container
    (``.entry-content``, ``#main-content``…; not Drupal's every-block ``.content`` or a teaser's ``article``)
    within ``max_nodes`` nodes: a sidebar does not hold the page it sits beside, a wrapper named for it does."""
    return any(isinstance(node, Tag) and (node.name == "main" or _attr(node, "role") == "main" or any(
        token.lower() in _CONTENT_CONTAINER for token in _hint(node).split())) for node in _walk(tag, max_nodes))


def _text_chars(tag, max_nodes: int) -> int:
    """Characters of text (whitespace aside) under ``tag``, within ``max_nodes`` nodes."""
    return sum(len("".join(piece.split())) for piece in _strings(tag, max_nodes))


def _has_text(tag, chars: int, max_nodes: int) -> bool:
    """Whether ``tag`` holds ``chars`` characters of text (whitespace aside) within ``max_nodes`` nodes."""
    size = 0
    for piece in _strings(tag, max_nodes):
        size += len("".join(piece.split()))
        if size >= chars:
            return True
    return False


def _attr(tag, name: str) -> str:
    value = (getattr(tag, "attrs", None) or {}).get(name)
    return (value if isinstance(value, str) else " ".join(value or ())).strip().lower()


def _drop_link_lists(root) -> None:
    """Remove list items and table cells that are nothing but a link: a page listing "Open Data Policy"
    among its links is a signpost to the evidence, not the evidence (the crawl follows the link)."""
    gone: set[int] = set()
    for item in _tags(root, _LINK_ITEMS) if hasattr(root, "descendants") else []:
        if id(item) in gone or any(getattr(c, "name", None) in _NESTED_LISTS for c in item.children):
            continue   # an item holding a list or table is a container; its own items are judged one by one
        # Read at most a short item's worth of text: unclosed <li> tags nest, and reading each one's whole
        # subtree would make a hostile page quadratic. An item longer than that is content, not a signpost.
        text = _capped_text(item, LINK_ITEM_CHARS)
        if not text or len(text) >= LINK_ITEM_CHARS:
            continue
        named = [_capped_text(a, LINK_ITEM_CHARS) for a in _tags(item, _ANCHOR, limit=20)]
        if any(len(n.split()) >= TITLE_WORDS for n in named):
            continue   # a link that reads as a title or a sentence (a meeting, a notice) is what the page lists
        anchors = " ".join(named)
        if text and anchors and len(anchors) >= 0.8 * len(text):
            _decompose(item, gone)


def _decompose(tag, gone: set[int]) -> None:
    """Decompose ``tag`` and remember its descendants as gone. (Asking a tag ``.decomposed`` is no
    cheaper: on an old tag bs4 falls back to searching its whole subtree, quadratic on nested markup.)"""
    gone.update(id(t) for t in _tags(tag))
    gone.add(id(tag))
    tag.decompose()


def _capped_text(tag, limit: int, max_nodes: int = 500) -> str:
    """The tag's text, whitespace collapsed, read only until ``limit`` characters or ``max_nodes`` nodes."""
    parts, size = [], 0
    for piece in _strings(tag, max_nodes):
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return " ".join(" ".join(parts).split())[:limit]


def _strings(tag, max_nodes: int):
    """The text nodes under ``tag`` in document order, walking at most ``max_nodes`` nodes."""
    for node in _walk(tag, max_nodes):
        if type(node) in (NavigableString, CData):
            yield str(node)


def _walk(tag, max_nodes: int, skip: frozenset[str] = frozenset()):
    """The nodes under ``tag`` in document order, at most ``max_nodes`` of them, not entering elements named
    in ``skip``. Walks ``contents`` itself: bs4's own iterators look up the subtree's end first, which costs
    the whole nesting depth on every call and makes nested hostile markup quadratic."""
    seen = 0
    stack = [iter(tag.contents)]
    while stack and seen < max_nodes:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        seen += 1
        yield child
        if getattr(child, "contents", None) and getattr(child, "name", None) not in skip:
            stack.append(iter(child.contents))


def _hint(tag) -> str:
    """The element's classes and id as one space-separated string (classes may come split or not)."""
    attrs = tag.attrs or {}
    classes = attrs.get("class") or []
    classes = " ".join(classes) if isinstance(classes, list) else str(classes)
    return " ".join(f"{classes} {attrs.get('id') or ''}".split())


def from_pdf(data: bytes, url: str | None = None, *, max_pages: int = DEFAULT_PDF_PAGES) -> Document:
    """Text of the first ``max_pages`` pages, page by page: a page that cannot be read (a decompression
    bomb, a damaged stream) ends the reading with an error, and the pages before it are kept.
    Encrypted, damaged or image-only PDFs give an error string, never an exception."""
    # Tighter work limits than pypdf's defaults: a 20 KB file can otherwise ask for minutes of CPU and
    # hundreds of MB per page (one shared stream of millions of operators) while every other PDF waits.
    with _PDF_SLOTS, pypdf.apply_configuration(stream_parsing_work_maximum_count=PDF_PARSE_WORK,
                                               zlib_maximum_output_length=PDF_STREAM_BYTES):
        return _read_pdf(data, url, max_pages)


#: Unreadable pages after which a PDF is left: past a few, the file is broken throughout.
MAX_BAD_PDF_PAGES = 5


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
        pages = _first_pages(reader, max_pages)
    except Exception as exc:  # noqa: BLE001 - malformed PDFs raise from deep inside the parser
        return Document(url, "pdf", None, "", error=f"unreadable PDF: {type(exc).__name__}: {exc}")
    texts: list[str] = []
    read, bad, first = 0, [], ""
    for k, page in enumerate(pages):
        try:
            texts.append(page.extract_text() or "")
            read += 1
        except Exception as exc:  # noqa: BLE001 - one bad page must not cost the others
            bad.append(k + 1)
            first = first or f"{type(exc).__name__}: {str(exc)[:200]}"
            if len(bad) >= MAX_BAD_PDF_PAGES:     # a file broken throughout: stop spending time on it
                break
    error = None
    if bad:
        which = ", ".join(map(str, bad))
        error = f"page{'s' if len(bad) > 1 else ''} {which} unreadable ({first})" + (
            f"; reading stopped after {len(bad)} unreadable pages" if len(bad) >= MAX_BAD_PDF_PAGES else "")
    text = "\n".join(" ".join(line.split()) for t in texts for line in t.splitlines() if line.strip())
    if not text:
        return Document(url, "pdf", title, "", pages=read, error=error or "no extractable text (scanned PDF?)")
    if not title:
        title = text.split("\n", 1)[0][:200]
    return Document(url, "pdf", title, text[:MAX_TEXT_CHARS], pages=read, error=error)


#: Page attributes a page takes from its ancestors in the page tree when it does not set them (ISO 32000).
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
#: Page-tree nodes visited per page wanted, at most: a tree of empty or looping branches ends the walk.
_TREE_NODES_PER_PAGE = 50
_TREE_MAX_DEPTH = 100


def _first_pages(reader: pypdf.PdfReader, limit: int) -> list[pypdf.PageObject]:
    """The first ``limit`` pages, depth first, each with the attributes it inherits. pypdf's own page list
    (``reader.pages``, and ``len()`` of it) resolves every page of the tree first: a file that declares
    tens of thousands of pages cost seconds for pages never read (1.6 s of the sample run went to one).
    Here a node is resolved only when the walk reaches it, and loops and runaway trees end the walk."""
    from pypdf.generic import DictionaryObject, IndirectObject, NameObject

    root = reader.root_object.get("/Pages")
    if root is None or not isinstance(root.get_object(), DictionaryObject):
        raise ValueError("no page tree (/Pages)")
    pages: list[pypdf.PageObject] = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[object, dict, int]] = [(root, {}, 0)]   # (node or its reference, inherited, depth)
    budget = _TREE_NODES_PER_PAGE * max(limit, 1)
    while stack and len(pages) < limit and budget > 0:
        item, inherit, depth = stack.pop()
        budget -= 1
        ref = item if isinstance(item, IndirectObject) else None
        if ref is not None:
            if (ref.idnum, ref.generation) in seen:
                continue                       # a node reached twice: a loop, or a page listed twice
            seen.add((ref.idnum, ref.generation))
        node = item.get_object() if isinstance(item, IndirectObject) else item
        if not isinstance(node, DictionaryObject) or depth > _TREE_MAX_DEPTH:
            continue
        kids = node.get("/Kids")
        if node.get("/Type") == "/Pages" or (node.get("/Type") is None and kids is not None):
            inherit = {**inherit, **{k: node[k] for k in _INHERITED if k in node}}
            kids = kids.get_object() if kids is not None else []
            stack.extend((kid, inherit, depth + 1) for kid in reversed(list(kids or [])))
            continue
        page = pypdf.PageObject(reader, ref)
        if ref is None:
            page.update(node)
        for key, value in inherit.items():
            if key not in page:
                page[NameObject(key)] = value
        pages.append(page)
    return pages


#: A line break written out as text ("<br />"): a document viewer that shows a scanned page's plain text
#: (Laserfiche WebLink, on many cities' records sites) escapes the page's own line breaks, so a crawler reads
#: them as characters. They are line breaks, and read as such.
_LITERAL_BREAK = re.compile(r"<br\s*/?>", re.I)


def _lines(text: str) -> str:
    """A page's text as HTML and plain text share it: one block per line, whitespace collapsed, empty lines
    and literal line breaks resolved, capped at MAX_TEXT_CHARS."""
    lines = (" ".join(x.split()) for x in _LITERAL_BREAK.sub("\n", text).split("\n"))
    return "\n".join(x for x in lines if x)[:MAX_TEXT_CHARS]


def from_text(text: str, url: str | None = None, title: str | None = None) -> Document:
    return Document(url, "text", title, _lines("\n".join(text.splitlines())))     # \r, \f, \u2028 ... end lines too


def sniff(data: bytes, content_type: str | None = None, url: str | None = None) -> str:
    """html, pdf, xml, text or binary, from the bytes first (servers mislabel), then the declared type,
    then the URL. Only a declared text type (or none at all) is read as plain text: images, archives and
    the like are binary."""
    head = data[:1024].removeprefix(_UTF8_BOM).lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    lowered = head.lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered or b"<div" in lowered:
        return "html"
    if head.startswith(_BINARY_MAGIC):
        return "binary"     # an image or archive is not a page, whatever the server called it
    ctype = (content_type or "").split(";")[0].strip().lower()
    if "pdf" in ctype or (url or "").lower().endswith(".pdf"):
        return "pdf"
    if "html" in ctype:
        return "html"
    if "xml" in ctype or lowered.startswith(b"<?xml"):
        return "xml"    # feeds and sitemaps: structure, not prose
    if ctype not in ("", "text/plain"):
        return "binary"
    return "binary" if _looks_binary(data[:1024]) else "text"


#: How common binary formats begin: images, archives (zip also holds .docx and .xlsx), old Office files,
#: executables; each with a byte no text starts with, so a page beginning "BMW" or "MZ" stays a page. Such
#: bytes served with no type, or as text, would otherwise be read as a page of noise.
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"PK\x03\x04", b"\x1f\x8b", b"II*\x00",
                 b"MM\x00*", b"\x7fELF", b"7z\xbc\xaf", b"Rar!\x1a", b"\xd0\xcf\x11\xe0", b"\x00\x00\x01\x00")
_CONTROL = bytes(range(32)).translate(None, b"\t\n\x0b\x0c\r\x1b")


def _looks_binary(head: bytes) -> bool:
    """Bytes of no known format that text would not hold: a NUL, or more than one in ten bytes a control
    character. UTF-16 with its byte-order mark is text (its NULs are half of every character)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or not head:
        return False
    return b"\x00" in head or sum(head.count(c) for c in _CONTROL) * 10 > len(head)


def load(data: bytes, *, content_type: str | None = None, url: str | None = None, encoding: str | None = None,
         max_pdf_pages: int = DEFAULT_PDF_PAGES, text: str | None = None) -> Document:
    """Any fetched body to a Document, by what it really is. ``text``: the body already decoded by a
    caller that knows the charset (a fetched response); else ``decode`` reads it."""
    kind = sniff(data, content_type, url)
    if kind in ("xml", "binary"):
        why = "XML document (sitemap or feed)" if kind == "xml" else f"binary content ({content_type or 'unknown type'})"
        return Document(url, kind, None, "", error=f"{why}, not read as a page")
    if kind == "pdf":
        return from_pdf(data, url, max_pages=max_pdf_pages)
    decoded = text if text is not None else decode(data, content_type, encoding, html=kind == "html")
    return from_html(decoded, url) if kind == "html" else from_text(decoded, url)


_UTF8_BOM = b"\xef\xbb\xbf"
_BOMS = ((_UTF8_BOM, "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)


def decode(data: bytes, content_type: str | None = None, encoding: str | None = None, *, html: bool = True) -> str:
    """Bytes to text the way a browser picks the charset: a byte-order mark first, then ``encoding``
    (the caller's word) or the charset of ``content_type``, then an HTML page's own ``<meta charset>``
    in its first 1024 bytes, then UTF-8, then Windows-1252 for a body whose bytes above ASCII are mostly not
    UTF-8 (an older page saved by a Windows editor and served without a charset, as a browser in a U.S.
    locale reads it). Bytes that do not decode become U+FFFD, never an exception."""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(bom_codec, errors="replace")
    declared = [encoding]
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            declared.append(value.strip().strip("'\""))
    if html and (meta := _META_CHARSET.search(data[:1024])):
        declared.append(meta.group(1).decode("ascii"))
    for name in declared:
        try:
            codec: str | None = codecs.lookup(name).name if name else None
        except LookupError:
            continue
        if codec:   # a page is not UTF-16 without a BOM, whatever it declares (WHATWG encoding sniffing)
            try:
                return data.decode("utf-8" if codec.startswith("utf-16") else codec, errors="replace")
            except LookupError:   # a codec that is not a text encoding ("zlib", "rot13", "base64")
                continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly valid UTF-8 with a stray byte: read as UTF-8 (Windows-1252 would turn its every accent and curly
    # quote into two characters of mojibake). Mostly bytes UTF-8 cannot read: Windows-1252, where an accent
    # followed by a curly quote may still happen to look like one UTF-8 character.
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    read = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return text if read > replaced else data.decode("cp1252", errors="replace")
