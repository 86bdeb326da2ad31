"""Pages and documents about data practices on a city's website, planned per city: the answer key.

``site_plan(city)`` lays out, from RNGs seeded by the city alone, where each page lives and what
links to it, then serves them (``SitePlan.serve``) and reports them (``SitePlan.answer_key``):

* for each practice in ``city.practices``, 1-2 pages in one of several templates (``evidence_text``),
  HTML or PDF, linked at depth 1-3 with link text and paths that hint at the topic: from the home
  page, from ``/performance``, ``/news``, ``/departments``, or only via the hubs ``/government`` and
  ``/government/transparency`` (and ``/departments/procurement``);
* hard negatives on every city: "performance bond" bid rules, "Summer Concert Series" performances,
  employee performance evaluations, a data security incident notice, land surveying, a property
  assessment FAQ, a "Data Entry Clerk" job posting, public records requests, a permit portal, plus
  a council agenda PDF on Legistar and a subdivision chapter on Municode that mention bonds/surveys;
* off-site document hosts: ``<slug>.legistar.example`` (meeting calendar, agenda PDFs, legislation
  pages with PDF attachments, addressed by query string as Legistar does) and
  ``library.municode.example/<slug>/codes/code_of_ordinances`` (code chapters by ``?nodeId=``);
* misbehaviour: 1-2 broken links per city, and per ``city.site_quirks`` a ~500 MB PDF streamed
  lazily, a PDF bomb, a truncated PDF, a slow page, an evidence page behind two redirects; cities
  whose robots policy is ``private`` get an extra evidence page under ``/private/``.

Depth is computed by breadth-first search from the home page over the navigation (on every page of
the city site) and the links in page content, so the answer key and the served links cannot drift.
"""

from __future__ import annotations

import html
import random
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from tests.simweb.formats import evidence_text as T
from tests.simweb.formats import pdf, site
from tests.simweb.formats.common import HTML, Response
from tests.simweb.population import SAMPLE_LABEL, EvidencePage, SimCity

MUNICODE_HOST = "library.municode.example"
LEGISTAR_SUFFIX = ".legistar.example"
HUGE_PDF_BYTES = 500 * 1024 * 1024
BOMB_INFLATED_MB = 256
BOMB_PAGES = 2_000
_ORDER = ("open_data_policy", "open_data_portal", "performance_reporting", "evaluation", "data_governance",
          "results_driven_contracting", "stakeholder_engagement")
Key = tuple[str, str]          # (host, path with ?query for Legistar/Municode)
Template = Callable[[T.Ctx], T.Doc]


def legistar_host(c: SimCity) -> str:
    return f"{c.slug}{LEGISTAR_SUFFIX}"


def municode_base(c: SimCity) -> str:
    return f"/{c.slug}/codes/code_of_ordinances"


@dataclass
class Node:
    """One planned page or document."""

    host: str
    path: str
    role: str                                # evidence | negative | hub | missing
    kinds: frozenset[str]
    fmt: str                                 # html | pdf
    make: Template | None                    # None for missing pages
    style: str = "site"                      # site | legistar | municode
    delivery: str = "normal"                 # normal | huge | bomb | corrupt
    flags: set[str] = field(default_factory=set)
    aliases: list[str] = field(default_factory=list)
    link_text: str = ""
    parent: Key | None = None
    depth: int = 99

    @property
    def key(self) -> Key:
        return (self.host, self.path)


@dataclass(frozen=True)
class _Variant:
    make: Template
    path: str
    texts: tuple[str, ...]
    parents: tuple[str, ...]                 # names from SitePlan.anchor


@dataclass(frozen=True)
class _PdfVariant:
    make: Template
    path: str
    text: str


#: Main page of each practice: one variant drawn per city.
_MAIN: dict[str, list[_Variant]] = {
    "open_data_policy": [
        _Variant(T.odp_admin_policy, "/government/open-data-policy", ("Open Data Policy", "Read the Open Data Policy"),
                 ("transparency", "transparency", "government", "home")),
        _Variant(T.odp_executive_order, "/government/transparency/open-data-executive-order",
                 ("Open Data Executive Order", "Mayor's Executive Order on Open Data"), ("transparency", "government")),
        _Variant(T.odp_faq, "/open-data/policy", ("Our Open Data Policy", "Open Data Policy FAQ"),
                 ("home", "transparency")),
    ],
    "open_data_portal": [
        _Variant(T.portal_program, "/open-data", ("Open Data", "Open Data Program"), ("home", "transparency")),
        _Variant(T.portal_explore, "/services/open-data", ("Explore City Data", "City Data"),
                 ("home", "government", "transparency")),
    ],
    "performance_reporting": [
        _Variant(T.perf_dashboard, "/performance/dashboard", ("Performance Dashboard", "Strategic Plan Dashboard"),
                 ("performance", "home", "transparency")),
        _Variant(T.perf_stat, "/performance/stat", ("Monthly Stat Sessions", "Performance Reviews"),
                 ("performance", "government")),
    ],
    "evaluation": [
        _Variant(T.eval_rct, "/government/program-evaluation", ("Program Evaluation", "What Works: Program Evaluations"),
                 ("transparency", "government", "performance")),
        _Variant(T.eval_comparison, "/performance/evaluations/program-study", ("Evaluation Findings",
                                                                               "Program Evaluation Results"),
                 ("performance", "news")),
        _Variant(T.eval_policy, "/departments/innovation/evaluation", ("Evaluation Policy", "Learning Agenda"),
                 ("departments", "transparency")),
    ],
    "data_governance": [
        _Variant(T.dg_cdo, "/departments/innovation/chief-data-officer", ("Chief Data Officer",
                                                                         "Office of the Chief Data Officer"),
                 ("departments", "government")),
        _Variant(T.dg_committee, "/government/data-governance", ("Data Governance", "Data Governance Committee"),
                 ("transparency", "government")),
        _Variant(T.dg_standards, "/departments/information-technology/data-management",
                 ("Data Management Program", "Data Standards"), ("departments",)),
    ],
    "results_driven_contracting": [
        _Variant(T.rdc_main, "/departments/procurement/results-driven-contracting", ("Results-Driven Contracting",),
                 ("procurement",)),
        _Variant(T.rdc_outcomes, "/departments/procurement/outcomes-based-contracting",
                 ("Outcomes-Based Contracting", "Pay for Results"), ("procurement", "transparency")),
        _Variant(T.rdc_acm, "/government/transparency/contract-performance",
                 ("Contract Performance", "Active Contract Management"), ("transparency",)),
    ],
    "stakeholder_engagement": [
        _Variant(T.se_survey, "/news/community-survey-results", ("Community Survey Results",
                                                                  "2025 Resident Survey: What You Told Us"),
                 ("news", "home")),
        _Variant(T.se_pb, "/government/participatory-budgeting", ("Participatory Budgeting",
                                                                  "Vote on Budget Projects"), ("government", "home")),
        _Variant(T.se_academy, "/government/transparency/data-academy", ("Community Data Academy",),
                 ("transparency",)),
    ],
}
#: Second document of a practice, when drawn (PDFs; templates differ from the main page's).
_SECOND: dict[str, list[_PdfVariant]] = {
    "open_data_policy": [_PdfVariant(T.odp_admin_policy, "/documents/open-data-policy.pdf", "Open Data Policy (PDF)"),
                         _PdfVariant(T.odp_executive_order, "/documents/executive-order-open-data.pdf",
                                     "Signed Executive Order (PDF)")],
    "open_data_portal": [_PdfVariant(T.portal_annual_report, "/documents/open-data-annual-report-2025.pdf",
                                     "Open Data Annual Report 2025 (PDF)")],
    "performance_reporting": [_PdfVariant(T.perf_annual_report, "/documents/annual-performance-report-2025.pdf",
                                          "Annual Performance Report 2025 (PDF)")],
    "evaluation": [_PdfVariant(T.eval_report, "/documents/program-evaluation-final-report.pdf",
                               "Final Evaluation Report (PDF)")],
    "data_governance": [_PdfVariant(T.dg_charter, "/documents/data-governance-charter.pdf",
                                    "Data Governance Charter (PDF)")],
    "results_driven_contracting": [_PdfVariant(T.rdc_rfp, "/documents/rfp-workforce-development-outcomes.pdf",
                                               "RFP: Workforce Development Services (PDF)")],
    "stakeholder_engagement": [_PdfVariant(T.se_report, "/documents/community-survey-report-2025.pdf",
                                           "Community Survey Report 2025 (PDF)")],
}
#: File stem of the quirk documents (huge, bomb, corrupt) by the practice they are about.
_STEM = {"open_data_policy": "open-data-policy", "open_data_portal": "open-data-annual-report",
         "performance_reporting": "annual-performance-report", "evaluation": "program-evaluation-report",
         "data_governance": "data-governance-charter", "results_driven_contracting": "contract-performance-report",
         "stakeholder_engagement": "community-survey-report"}
#: Hard negatives: (template, path, link texts, parent choices).
_NEGATIVES: list[tuple[Template, str, tuple[str, ...], tuple[str, ...]]] = [
    (T.neg_bonds, "/departments/procurement/bid-requirements", ("Contractor Performance Requirements",
                                                                "Bid Bonds and Performance Bonds"), ("procurement",)),
    (T.neg_concerts, "/events/summer-concert-series", ("Summer Concert Performances", "Performances in the Park"),
     ("home", "news")),
    (T.neg_hr_evaluations, "/departments/human-resources/performance-evaluations",
     ("Employee Performance Evaluations", "Performance Evaluation Forms"), ("hr",)),
    (T.neg_breach, "/government/data-security-incident", ("Data Breach Notification",
                                                          "Notice of Data Security Incident"), ("home", "government")),
    (T.neg_land_survey, "/departments/public-works/land-surveying", ("Land Survey Records", "City Surveyor"),
     ("departments",)),
    (T.neg_assessment, "/departments/finance/property-assessment-faq", ("Property Assessment FAQ",
                                                                        "Understanding Your Assessment"), ("budget",)),
    (T.neg_job, "/jobs/data-entry-clerk", ("Data Entry Clerk (Full-Time)", "Now Hiring: Data Entry Clerk"),
     ("hr", "home")),
    (T.neg_records, "/government/public-records", ("Public Records Policy", "Public Records Requests"),
     ("government", "transparency")),
    (T.neg_permit_portal, "/services/permit-portal", ("Online Permit Portal", "Permit Portal"), ("home",)),
]
_BROKEN = [("/documents/archive/transparency-report-2019.pdf", "Transparency Report 2019 (archived PDF)",
            "transparency"),
           ("/news/spring-newsletter-2024", "Spring 2024 Newsletter", "news"),
           ("/performance/archive/annual-performance-report-2023.pdf", "Annual Performance Report 2023 (PDF)",
            "performance"),
           ("/departments/innovation/open-data-roadmap", "Open Data Roadmap", "departments")]
_CSV = {"building-permits.csv": "permit_id,issued,type\nBP-1001,2026-01-05,Residential\n",
        "service-requests.csv": "request_id,opened,category\nSR-20001,2026-02-11,Pothole\n",
        "adopted-budget.csv": "fund,department,amount\nGeneral,Parks,1250000\n"}
_QUICK = ("<h2>Quick Links</h2><ul><li><a href=\"/contact\">Contact City Hall</a></li><li><a href=\"/news\">News "
          "and notices</a></li><li><a href=\"/council\">Meetings</a></li></ul>")


class SitePlan:
    """Every planned page of one city (website, Legistar and Municode hosts) and the links between them."""

    def __init__(self, c: SimCity):
        self.c = c
        self.host = c.website_host or ""
        self.nodes: dict[Key, Node] = {}
        self.links: dict[Key, list[tuple[Key, str, str]]] = {}
        self.redirects: dict[Key, tuple[int, str]] = {}
        self.anchor: dict[str, Key] = {n: (self.host, p) for n, p in (
            ("home", "/"), ("departments", "/departments"), ("news", "/news"), ("budget", "/budget"),
            ("performance", "/performance"), ("council", "/council"))}
        self._depth: dict[Key, int] = {}

    # ------------------------------------------------------------------------------ building
    def add(self, node: Node, parent: Key, text: str, blurb: str = "") -> Node:
        self.nodes[node.key] = node
        node.parent = parent
        self.link(parent, node.key, text, blurb)
        return node

    def link(self, parent: Key, target: Key, text: str, blurb: str = "") -> None:
        self.links.setdefault(parent, []).append((target, text, blurb))
        node = self.nodes.get(target)
        if node is not None and not node.link_text:
            node.link_text = text
        self._depth.clear()

    def depth(self, key: Key) -> int:
        if not self._depth:
            self._depth = self._bfs()
        return self._depth.get(key, 99)

    def child_parent(self, node: Node) -> Key:
        """Where a document belonging to ``node`` is linked: from it, unless that would be depth 4."""
        return node.key if self.depth(node.key) <= 2 else (node.parent or self.anchor["home"])

    # ------------------------------------------------------------------------------ graph
    def _site_nav(self) -> list[Key]:
        paths = ["/"] + [p for p, _ in site.NAV_EXTRA] + [f"/{p}" for p in site.PAGES if not p.startswith("private/")]
        return [(self.host, p) for p in paths]

    def _bfs(self) -> dict[Key, int]:
        nav = self._site_nav()
        home = (self.host, "/")
        depth = {home: 0}
        queue = deque([home])
        while queue:
            key = queue.popleft()
            node = self.nodes.get(key)
            if node is None and key not in nav:
                continue   # a data file (CSV download) or an address nothing is planned at
            if node is not None and (node.fmt != "html" or node.role == "missing"):
                continue
            out = [self._through_redirects(t) for t, _, _ in self.links.get(key, [])]
            if key[0] == self.host and (node is None or node.style == "site"):
                out = nav + out
            for target in out:
                if target not in depth:
                    depth[target] = depth[key] + 1
                    queue.append(target)
        return depth

    def _through_redirects(self, key: Key) -> Key:
        """Where a link ends up after the redirects planned on the site (redirects add no depth)."""
        for _ in range(5):
            if key not in self.redirects:
                break
            key = (key[0], self.redirects[key][1])
        return key

    def finish(self) -> SitePlan:
        self._depth = self._bfs()
        for node in self.nodes.values():
            node.depth = self._depth.get(node.key, 99)
        return self

    # ------------------------------------------------------------------------------ answer key
    def answer_key(self) -> list[EvidencePage]:
        out = []
        for n in self.nodes.values():
            doc = n.make(T.Ctx(self.c, n.path)) if n.make else None
            missing = n.role == "missing"
            out.append(EvidencePage(
                host=n.host, path=n.path, role=n.role, kinds=n.kinds, format=n.fmt, depth=n.depth,
                flags=frozenset(n.flags), title=doc.title if doc else "", link_text=n.link_text,
                phrase=doc.phrase if doc else "", status=404 if missing else 200,
                content_type=HTML if missing or n.fmt == "html" else pdf.CONTENT_TYPE, aliases=tuple(n.aliases),
                in_sitemap=self._in_sitemap(n)))
        return sorted(out, key=lambda p: (p.depth, p.host != self.host, p.host, p.path))

    def _in_sitemap(self, n: Node) -> bool:
        return n.host == self.host and n.role != "missing" and "robots_blocked" not in n.flags

    def sitemap_paths(self) -> list[str]:
        return sorted(n.path for n in self.nodes.values() if self._in_sitemap(n))

    # ------------------------------------------------------------------------------ serving
    def links_from(self, key: Key) -> list[site.Link]:
        """Content links of a page, as hrefs relative to its host (absolute for other hosts)."""
        out = []
        for (host, path), text, blurb in self.links.get(key, []):
            href = path if host == key[0] else f"https://{host}{path}"
            out.append((href, text, blurb))
        return out

    def serve(self, host: str, target: str, slow_seconds: float) -> Response | None:
        """The answer for a planned (host, path[?query]), or None when nothing is planned there (404)."""
        if (host, target) in self.redirects:
            status, location = self.redirects[(host, target)]
            return Response(status, HTML, b"", {"Location": location})
        if host == self.host and target.startswith("/open-data/downloads/"):
            body = _CSV.get(target.rsplit("/", 1)[-1])
            if body is not None and "open_data_portal" in self.c.practices and not self.c.platform:
                return Response(200, "text/csv; charset=utf-8", body.encode())
            return None
        node = self.nodes.get((host, target))
        if node is None or node.make is None or node.role == "missing":
            return None
        doc = node.make(T.Ctx(self.c, node.path))
        delay = slow_seconds if "slow" in node.flags else 0.0
        if node.fmt == "pdf":
            return Response(200, pdf.CONTENT_TYPE, self._pdf(node, doc), {}, delay)
        body = (self._site_html(node, doc) if node.style == "site" else _offsite_html(self.c, node, doc,
                                                                                       self.links_from(node.key)))
        return Response(200, HTML, body.encode("utf-8"), {}, delay)

    def _pdf(self, node: Node, doc: T.Doc):
        lines = _pdf_lines(self.c, doc)
        if node.delivery == "huge":
            return pdf.huge_pdf(lines, title=doc.title, size=HUGE_PDF_BYTES)
        if node.delivery == "bomb":
            return _bomb(self.c.geoid, node.path, tuple(lines), doc.title)
        data = pdf.text_pdf(lines, title=doc.title, footer=f"City of {self.c.name}")
        return pdf.truncated_pdf(data) if node.delivery == "corrupt" else data

    def _site_html(self, node: Node, doc: T.Doc) -> str:
        c = self.c
        main = blocks_html(doc.blocks)
        links = self.links_from(node.key)
        if links:
            main += site.link_section("Related Documents and Pages" if node.role != "hub" else "In This Section",
                                      links)
        rng = random.Random(f"{c.geoid}/{node.path}/updated")
        main += f'<p class="updated">Last updated: {T.MONTHS[rng.randrange(9)]} {rng.randrange(1, 29)}, 2026</p>'
        crumbs = [("/", "Home")]
        parent = self.nodes.get(node.parent) if node.parent else None
        if parent is not None and parent.host == self.host and parent.make is not None:
            crumbs.append((parent.path, parent.make(T.Ctx(c, parent.path)).title))
        elif node.parent and node.parent[1] != "/":
            crumbs.append((node.parent[1], node.parent[1].strip("/").split("/")[-1].replace("-", " ").title()))
        return site.chrome(c, f"{doc.title} | City of {c.name}", main, breadcrumb=crumbs, aside=_QUICK)


# ==================================================================================== planning
_PLANS: OrderedDict[tuple, SitePlan] = OrderedDict()
_PLANS_LOCK = threading.Lock()


def site_plan(c: SimCity) -> SitePlan:
    """The plan of one city's evidence pages (empty without a website), cached per city state:
    changing an attribute a plan depends on (say ``n_datasets`` in a test) gives a new plan."""
    key = (c.geoid, c.qid, c.name, c.state_abbr, c.state_name, c.website_host, c.robots, c.platform,
           c.portal_host, c.n_datasets, c.population, c.practices, c.site_quirks)
    with _PLANS_LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            _PLANS.move_to_end(key)
            return plan
    plan = _build(c)
    with _PLANS_LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > 512:
            _PLANS.popitem(last=False)
    return plan


def _build(c: SimCity) -> SitePlan:
    plan = SitePlan(c)
    if not c.website_host:
        return plan
    rng = random.Random(f"{c.geoid}/{c.qid}/evidence-plan")
    _hubs(plan, rng)
    for kind in _ORDER:
        if kind in c.practices:
            _practice(plan, rng, kind)
    _negatives(plan, rng)
    _offsite(plan, rng)
    _broken(plan, rng)
    _quirks(plan, rng)
    return plan.finish()


def _node(plan: SitePlan, path: str, role: str, make: Template | None, fmt: str = "html",
          kinds: frozenset[str] = frozenset(), host: str | None = None, style: str = "site") -> Node:
    return Node(host or plan.host, path, role, kinds, fmt, make, style=style)


def _hubs(plan: SitePlan, rng: random.Random) -> None:
    home = plan.anchor["home"]
    gov = _node(plan, "/government", "hub", T.hub_government)
    plan.nodes[gov.key] = gov   # in the navigation of every page
    gov.parent, gov.link_text = home, "Government"
    plan.anchor["government"] = gov.key
    trans = plan.add(_node(plan, "/government/transparency", "hub", T.hub_transparency), gov.key,
                     "Transparency and Accountability", "reports, policies and public records")
    if rng.random() < 0.35:
        plan.link(home, trans.key, "Transparency Center")
    plan.anchor["transparency"] = trans.key
    proc = plan.add(_node(plan, "/departments/procurement", "hub", T.hub_procurement), plan.anchor["departments"],
                    "Purchasing and Contracts")
    plan.anchor["procurement"] = proc.key
    hr = plan.add(_node(plan, "/departments/human-resources", "hub", T.hub_hr), plan.anchor["departments"],
                  "Human Resources")
    plan.anchor["hr"] = hr.key


def _parent(plan: SitePlan, rng: random.Random, choices: tuple[str, ...]) -> Key:
    return plan.anchor[rng.choice(choices)]


def _practice(plan: SitePlan, rng: random.Random, kind: str) -> None:
    c = plan.c
    if kind == "performance_reporting":   # /performance itself is the main page (a KPI table)
        perf = _node(plan, "/performance", "evidence", None, kinds=frozenset({kind}))
        perf.make = _performance_doc
        plan.nodes[perf.key] = perf
        perf.parent, perf.link_text = plan.anchor["home"], "See how we are doing"
        main = perf
        extra = rng.random()
        if extra < 0.45:
            v = rng.choice(_MAIN[kind])
            plan.add(_node(plan, v.path, "evidence", v.make, kinds=frozenset({kind})), _parent(plan, rng, v.parents),
                     rng.choice(v.texts))
        elif extra < 0.8:
            _second_pdf(plan, rng, kind, main)
        if rng.random() < 0.3:
            _missing(plan, *_BROKEN[2])
        return
    if kind == "open_data_portal" and not c.platform:
        v = _Variant(T.portal_catalog, "/open-data", ("Open Data Catalog", "Download City Data"), ("home", "transparency"))
    else:
        v = rng.choice(_MAIN[kind])
    if kind == "open_data_policy" and rng.random() < 0.2:
        _offsite_policy(plan, rng, only=True)
        return
    kinds = frozenset({kind})
    make = v.make
    if v.make is T.portal_program and "open_data_policy" in c.practices and rng.random() < 0.5:
        kinds = frozenset({kind, "open_data_policy"})
        make = _with_policy
    main = plan.add(_node(plan, v.path, "evidence", make, kinds=kinds), _parent(plan, rng, v.parents),
                    rng.choice(v.texts))
    if kind == "open_data_portal" and not c.platform:   # a catalog page of CSV downloads (not in the key)
        for name, text in (("building-permits.csv", "Building permits issued (CSV)"),
                           ("service-requests.csv", "Service requests (CSV)"),
                           ("adopted-budget.csv", "Adopted budget by line item (CSV)")):
            plan.link(main.key, (plan.host, f"/open-data/downloads/{name}"), text, "with data dictionary")
        return
    second = rng.random()
    if kind in ("open_data_policy", "data_governance") and second < 0.25:
        _offsite_policy(plan, rng, only=False, governance=kind == "data_governance", near=main)
    elif second < 0.6:
        _second_pdf(plan, rng, kind, main)


def _with_policy(x: T.Ctx) -> T.Doc:
    return T.portal_program(x, with_policy=True)


def _performance_doc(x: T.Ctx) -> T.Doc:
    """/performance as the answer key sees it (the page itself is rendered by ``site``)."""
    if "performance_reporting" in x.c.practices:
        return T.Doc("Performance", site.PERFORMANCE_PHRASE)
    return T.Doc("Performance", site.PERFORMANCE_NEGATIVE_PHRASE)


def _second_pdf(plan: SitePlan, rng: random.Random, kind: str, main: Node) -> Node:
    main_make = main.make
    options = [v for v in _SECOND[kind] if v.make is not main_make] or _SECOND[kind]
    v = rng.choice(options)
    return plan.add(_node(plan, v.path, "evidence", v.make, fmt="pdf", kinds=frozenset({kind})),
                    plan.child_parent(main), v.text)


def _offsite_policy(plan: SitePlan, rng: random.Random, *, only: bool, governance: bool = False,
                    near: Node | None = None) -> None:
    """The policy (or governance resolution) as legislation on Legistar, or (policies) on Municode."""
    c = plan.c
    kind = "data_governance" if governance else "open_data_policy"
    kinds = frozenset({kind})
    make = T.dg_resolution if governance else T.odp_ordinance
    if not governance and rng.random() < 0.5:   # a code article on Municode
        node_id = "PTIICOOR_CH2AD_ARTIXOPDA"
        art = _node(plan, f"{municode_base(c)}?nodeId={node_id}", "evidence", make, kinds=kinds, host=MUNICODE_HOST,
                    style="municode")
        art.flags.add("offsite_doc_host")
        parent = plan.anchor["transparency"] if only else plan.child_parent(near) if near else plan.anchor["government"]
        plan.add(art, parent, "Open Data Ordinance (Municipal Code)")
        return
    lid = 5_000_000 + int(c.geoid) % 900_000
    host = legistar_host(c)
    detail = _node(plan, f"/LegislationDetail.aspx?ID={lid}&GUID={_guid(c, 'leg')}", "evidence", make, kinds=kinds,
                   host=host, style="legistar")
    detail.flags.add("offsite_doc_host")
    parent = plan.anchor[rng.choice(("government", "council"))]
    text = "Data Governance Resolution (Legistar)" if governance else "Open Data Ordinance (legislative history)"
    plan.add(detail, parent, text)
    attachment = _node(plan, f"/View.ashx?M=F&ID={lid + 7_001}&GUID={_guid(c, 'att')}", "evidence", make, fmt="pdf",
                       kinds=kinds, host=host, style="legistar")
    attachment.flags.add("offsite_doc_host")
    plan.add(attachment, detail.key, "Adopted text (PDF)")


def _guid(c: SimCity, what: str) -> str:
    h = random.Random(f"{c.geoid}/{what}").getrandbits(128)
    s = f"{h:032X}"
    return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"


def _negatives(plan: SitePlan, rng: random.Random) -> None:
    c = plan.c
    if "performance_reporting" not in c.practices:   # /performance is then a budget page: a hard negative
        perf = _node(plan, "/performance", "negative", _performance_doc)
        plan.nodes[perf.key] = perf
        perf.parent, perf.link_text = plan.anchor["home"], "See how we are doing"
    for make, path, texts, parents in _NEGATIVES:
        plan.add(_node(plan, path, "negative", make), _parent(plan, rng, parents), rng.choice(texts))
    bonds = plan.nodes[(plan.host, "/departments/procurement/bid-requirements")]
    plan.add(_node(plan, "/documents/performance-bond-form.pdf", "negative", T.neg_bond_form, fmt="pdf"),
             plan.child_parent(bonds), "Performance Bond Form (PDF)")
    if rng.random() < 0.5:   # the concert page is also announced in the news
        concert = plan.nodes[(plan.host, "/events/summer-concert-series")]
        plan.link(plan.anchor["news"], concert.key, "Summer concert performances start in June")


def _offsite(plan: SitePlan, rng: random.Random) -> None:
    """Meeting calendar and agenda on Legistar, the code of ordinances on Municode (every city)."""
    c = plan.c
    council = plan.anchor["council"]
    lhost = legistar_host(c)
    cal = _node(plan, "/Calendar.aspx", "hub", T.hub_calendar, host=lhost, style="legistar")
    cal.flags.add("offsite_doc_host")
    plan.add(cal, council, "Agendas and Minutes", "meeting calendar, agendas and video")
    agenda = _node(plan, f"/View.ashx?M=A&ID={900_000 + int(c.geoid) % 90_000}&GUID={_guid(c, 'agenda')}", "negative",
                   T.neg_agenda, fmt="pdf", host=lhost, style="legistar")
    agenda.flags.add("offsite_doc_host")
    plan.add(agenda, cal.key, "Agenda")
    code = _node(plan, municode_base(c), "hub", T.hub_code, host=MUNICODE_HOST, style="municode")
    code.flags.add("offsite_doc_host")
    plan.add(code, council, "Municipal Code")
    sub = _node(plan, f"{municode_base(c)}?nodeId=PTIICOOR_CH18SU", "negative", T.neg_subdivision_code,
                host=MUNICODE_HOST, style="municode")
    sub.flags.add("offsite_doc_host")
    plan.add(sub, code.key, "Chapter 18 - Subdivisions")


def _missing(plan: SitePlan, path: str, text: str, parent: str) -> None:
    if (plan.host, path) in plan.nodes:
        return
    node = _node(plan, path, "missing", None, fmt="pdf" if path.endswith(".pdf") else "html")
    node.flags.add("broken")
    plan.add(node, plan.anchor[parent], text)


def _broken(plan: SitePlan, rng: random.Random) -> None:
    choices = [b for b in _BROKEN if b[2] != "performance"]
    for path, text, parent in rng.sample(choices, rng.choice((1, 1, 2))):
        _missing(plan, path, text, parent)


def _quirk_kind(plan: SitePlan, rng: random.Random) -> str | None:
    kinds = sorted(plan.c.practices)
    return rng.choice(kinds) if kinds else None


def _quirk_doc(plan: SitePlan, rng: random.Random, delivery: str, suffix: str, label: str) -> None:
    kind = _quirk_kind(plan, rng)
    if kind is None:
        node = _node(plan, f"/documents/capital-improvement-plan-{suffix}.pdf", "negative", T.neg_budget_appendix,
                     fmt="pdf")
        parent, text = plan.anchor["budget"], f"Capital Improvement Plan Appendices ({label})"
    else:
        v = _SECOND[kind][0]
        node = _node(plan, f"/documents/{_STEM[kind]}-{suffix}.pdf", "evidence", v.make, fmt="pdf",
                     kinds=frozenset({kind}))
        mains = [n for n in plan.nodes.values() if kind in n.kinds and n.role == "evidence" and n.host == plan.host
                 and n.fmt == "html"]
        parent = plan.child_parent(mains[0]) if mains else plan.anchor["transparency"]
        text = f"{v.text.removesuffix(' (PDF)')} ({label})"
    node.delivery = delivery
    node.flags.add({"huge": "huge", "bomb": "bomb", "corrupt": "corrupt"}[delivery])
    plan.add(node, parent, text)


def _quirks(plan: SitePlan, rng: random.Random) -> None:
    c = plan.c
    q = c.site_quirks
    if "huge_pdf" in q:
        _quirk_doc(plan, rng, "huge", "complete-edition", "complete edition, PDF, 500 MB")
    if "pdf_bomb" in q:
        _quirk_doc(plan, rng, "bomb", "with-appendices", "with appendices, PDF")
    if "corrupt_pdf" in q:
        _quirk_doc(plan, rng, "corrupt", "2024", "2024 edition, PDF")
    candidates = [n for n in plan.nodes.values() if n.host == plan.host and n.role == "evidence" and n.fmt == "html"
                  and n.path != "/performance"]
    if c.robots == "private" and c.practices:
        kind = sorted(c.practices)[0]
        v = _SECOND[kind][0]
        make = _draft(v.make)
        node = _node(plan, f"/private/drafts/{_STEM[kind]}", "evidence", make, kinds=frozenset({kind}))
        node.flags.add("robots_blocked")
        plan.add(node, plan.anchor["transparency"], f"Staff draft: {v.text.removesuffix(' (PDF)')}")
    negatives = [n for n in plan.nodes.values() if n.role == "negative" and n.fmt == "html" and n.host == plan.host
                 and n.path != "/performance"]
    if "slow_page" in q:
        (candidates or negatives)[0].flags.add("slow")
    if "redirect_chain" in q:
        pool = [n for n in candidates if "slow" not in n.flags] or [n for n in negatives if "slow" not in n.flags]
        _redirect_chain(plan, pool[-1])


def _draft(make: Template) -> Template:
    def drafted(x: T.Ctx) -> T.Doc:
        return T.draft_banner(make(x))
    return drafted


def _redirect_chain(plan: SitePlan, node: Node) -> None:
    """The site links an old CMS address: 301 to an intermediate one, 302 to the page."""
    leaf = node.path.rstrip("/").rsplit("/", 1)[-1]
    old, mid = f"/Archive.aspx?ADID={100 + int(plan.c.geoid) % 800}", f"/city-hall/{leaf}"
    plan.redirects[(plan.host, old)] = (301, mid)
    plan.redirects[(plan.host, mid)] = (302, node.path)
    node.aliases = [old, mid]
    node.flags.add("redirect_chain")
    for parent, links in plan.links.items():
        plan.links[parent] = [((plan.host, old) if t == node.key else t, text, blurb) for t, text, blurb in links]
    plan._depth.clear()   # the alias is linked where the page was; BFS follows it, at the same depth


# ==================================================================================== rendering
def blocks_html(blocks: list[T.Block]) -> str:
    esc = html.escape
    out = []
    for b in blocks:
        kind = b[0]
        if kind == "p":
            out.append(f"<p>{esc(b[1])}</p>")
        elif kind == "h2":
            out.append(f"<h2>{esc(b[1])}</h2>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in b[1]) + "</ul>")
        elif kind == "dl":
            out.append("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in b[1]) + "</dl>")
        elif kind == "table":
            head = "".join(f"<th>{esc(h)}</th>" for h in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in b[2])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(out)


def _pdf_lines(c: SimCity, doc: T.Doc) -> list[pdf.Line]:
    lines: list[pdf.Line] = [(f"City of {c.name}", True), (doc.title, True), ""]
    for b in doc.blocks:
        kind = b[0]
        if kind == "p":
            lines += pdf.wrap(b[1]) + [""]
        elif kind == "h2":
            lines += [(b[1], True)]
        elif kind == "ul":
            for item in b[1]:
                wrapped = pdf.wrap(item, pdf.WRAP - 4)
                lines += ["  - " + wrapped[0]] + ["    " + w for w in wrapped[1:]]
            lines.append("")
        elif kind == "dl":
            lines += [f"{k}: {v}" for k, v in b[1]] + [""]
        elif kind == "table":
            lines += [("   |   ".join(b[1]), True)] + ["   |   ".join(row) for row in b[2]] + [""]
    lines.append(f"({SAMPLE_LABEL})")
    return lines


@lru_cache(maxsize=8)
def _bomb(_geoid: str, _path: str, lines: tuple, title: str) -> bytes:
    return pdf.bomb_pdf(list(lines), title=title, inflated_mb=BOMB_INFLATED_MB, extra_pages=BOMB_PAGES)


def _offsite_html(c: SimCity, node: Node, doc: T.Doc, links: list[site.Link]) -> str:
    """A page on the city's Legistar or Municode host: that vendor's chrome around the document."""
    esc = html.escape
    if node.style == "legistar":
        brand = f"City of {esc(c.name)} - Legislative Research Center"
        nav = '<a href="/Calendar.aspx">Calendar</a>'   # vendor chrome links only pages that exist
    else:
        brand = f"Municode Library &rsaquo; {esc(c.state_name)} &rsaquo; {esc(c.name)}"
        nav = f'<a href="{municode_base(c)}">Code of Ordinances</a>'
    main = blocks_html(doc.blocks)
    if node.path.startswith("/LegislationDetail.aspx"):   # Legistar's file header above the text
        rng = random.Random(f"{c.geoid}/{node.path}/file")
        kind = "Resolution" if doc.title.startswith("Resolution") else "Ordinance"
        year = 2016 + rng.randrange(8)
        main = blocks_html([("table", ["File #", "Type", "Status", "In control", "Final action"],
                             [[f"{kind[:3].upper()}-{year}-{rng.randrange(10, 99)}", kind, "Adopted", "City Council",
                               f"{T.MONTHS[rng.randrange(12)]} {rng.randrange(1, 29)}, {year}"]])]) + main
    if links:
        main += site.link_section("Attachments" if node.style == "legistar" else "Contents", links)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(doc.title)} - {brand}</title></head>
<body><header class="banner"><div class="brand">{brand}</div><nav class="menu">{nav}</nav></header>
<main><h1>{esc(doc.title)}</h1>
{main}
<p><a href="https://{c.website_host}/">City of {esc(c.name)} website</a></p>
</main>
<footer><p>Hosted document service ({esc(SAMPLE_LABEL)}).</p></footer>
</body></html>
"""
