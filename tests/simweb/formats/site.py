"""A synthetic city's own website: robots.txt, sitemap, home page, a few inner pages, 404s.

Pages look like small municipal sites (navigation to departments, news, budget and performance
pages, an "Open Data" link when the city has a portal, a footer with contact details) so link and
text extraction meet realistic markup. Every text is derived from the city and page name only.

The pages about data practices (and the hard negatives beside them) are planned in ``evidence``;
the pages here take the links the plan puts on them (``links``) and share their chrome (``chrome``).
"""

from __future__ import annotations

import html
import random
from collections.abc import Iterable, Sequence

from tests.simweb.formats.common import HTML, Response
from tests.simweb.formats.datasets import DEPARTMENTS
from tests.simweb.population import SAMPLE_LABEL, SimCity

#: Inner pages (path without the leading slash -> title). "private/staff" is behind robots for some.
PAGES = {"departments": "Departments", "news": "City News", "budget": "Budget and Finance",
         "performance": "Performance", "council": "City Council", "contact": "Contact Us",
         "private/staff": "Staff Directory"}
#: Navigation beyond ``PAGES``: the government hub (planned by ``evidence``) on every page.
NAV_EXTRA = [("/government", "Government")]
#: A link in page content: (href, anchor text, short description or "").
Link = tuple[str, str, str]
_PORTAL_TEXT = ["Open Data Portal", "Open Data", "Open Data Hub", "Data Portal"]
_SURNAMES = ["Abernathy", "Blackwood", "Castellano", "Delacroix", "Eastman", "Fairbanks", "Greaves", "Holloway",
             "Ibarra", "Jorgensen", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Pemberton"]
_GIVEN = ["Avery", "Blair", "Casey", "Dana", "Emerson", "Finley", "Harper", "Jordan", "Kendall", "Morgan",
          "Parker", "Quinn", "Riley", "Sawyer", "Taylor"]


def robots(c: SimCity) -> Response:
    """Varied policies: allow all, ``Crawl-delay: 2``, or ``/private/`` disallowed; always a Sitemap."""
    lines = ["# robots.txt for a synthetic sample city", "User-agent: *"]
    if c.robots == "crawl_delay":
        lines.append("Crawl-delay: 2")
    lines.append("Disallow: /private/" if c.robots == "private" else "Disallow:")
    if c.robots == "private":
        lines += ["", "User-agent: ExampleBadBot", "Disallow: /"]
    lines += ["", f"Sitemap: https://{c.website_host}/sitemap.xml"]
    return Response(200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode())


def sitemap(c: SimCity, extra: Iterable[str] = ()) -> Response:
    """sitemaps.org urlset of the public pages, then ``extra`` paths (the plan's evidence pages)."""
    paths = [f"/{p}" for p in [""] + [p for p in PAGES if not p.startswith("private/")]] + list(extra)
    urls = "".join(f"  <url><loc>https://{c.website_host}{html.escape(p)}</loc><lastmod>2026-0{1 + k % 9}-15</lastmod>"
                   f"<changefreq>{'daily' if p in ('/', '/news') else 'monthly'}</changefreq></url>\n"
                   for k, p in enumerate(paths))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n')
    return Response(200, "application/xml", body.encode())


def page(c: SimCity, key: str, links: Sequence[Link] = ()) -> Response:
    """Home page for ``key == ""``, else one of ``PAGES``; ``links`` go in a section of the content."""
    rng = random.Random(f"{c.geoid}/{key}")
    title = f"City of {c.name}, {c.state_abbr} | Official Website" if not key else f"{PAGES[key]} | City of {c.name}"
    main = _home(c, rng) if not key else _INNER[key](c, rng)
    if links:
        heading = "Featured" if not key else ("Related Information" if key != "news" else "More Stories")
        main += link_section(heading, links)
    return Response(200, HTML, chrome(c, title, main).encode("utf-8"))


def chrome(c: SimCity, title: str, main: str, *, breadcrumb: Sequence[tuple[str, str]] = (),
           aside: str = "") -> str:
    """A whole page of the city website: header, navigation, ``<main>`` with an h1 from the title
    (the part before " | "), an optional breadcrumb and sidebar, and the footer."""
    esc = html.escape
    nav = ([("/", "Home")] + NAV_EXTRA + [(f"/{p}", t) for p, t in PAGES.items() if not p.startswith("private/")])
    nav_html = "".join(f'<li><a href="{href}">{esc(text)}</a></li>' for href, text in nav)
    if c.portal_host and c.portal_linked:
        nav_html += (f'<li><a class="portal" href="https://{c.portal_host}/">'
                     f"{_PORTAL_TEXT[int(c.geoid) % len(_PORTAL_TEXT)]}</a></li>")
    for host in c.linked_other:
        nav_html += f'<li><a href="https://{host}/">{_other_portal_text(host)}</a></li>'
    crumbs = ""
    if breadcrumb:
        crumbs = ('<nav class="breadcrumb" aria-label="Breadcrumb"><ol>'
                  + "".join(f'<li><a href="{href}">{esc(text)}</a></li>' for href, text in breadcrumb) + "</ol></nav>\n")
    side = f'<aside class="sidebar">{aside}</aside>\n' if aside else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="description" content="Official website of the City of {esc(c.name)} ({esc(SAMPLE_LABEL)})">
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<header><a href="/" class="logo"><img src="/assets/seal.png" alt="Seal of the City of {esc(c.name)}"></a>
<form action="/search" method="get"><input type="search" name="q" aria-label="Search"></form></header>
<nav aria-label="Main"><ul>{nav_html}</ul></nav>
<main id="content">
{crumbs}<h1>{esc(title.split(" | ")[0])}</h1>
{main}
</main>
{side}<footer>
<p>City Hall, {100 + int(c.geoid) % 900} Main Street, {esc(c.name)}, {c.state_abbr}</p>
<p>Phone: (555) 555-01{int(c.geoid) % 100:02d}</p>
<p><a href="/contact">Contact</a> | <a href="/sitemap.xml">Sitemap</a> | <a href="/accessibility">Accessibility</a></p>
<p class="notice">&copy; 2026 City of {esc(c.name)}. This is {esc(SAMPLE_LABEL)}.</p>
</footer>
</body>
</html>
"""


def link_section(heading: str, links: Sequence[Link]) -> str:
    """A list of links in page content, each with an optional one-line description."""
    esc = html.escape
    items = "".join(f'<li><a href="{esc(href)}">{esc(text)}</a>' + (f" &ndash; {esc(blurb)}" if blurb else "") + "</li>"
                    for href, text, blurb in links)
    return f'<section class="links"><h2>{esc(heading)}</h2><ul>{items}</ul></section>'


def not_found(host: str, path: str) -> Response:
    body = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Page Not Found</title></head>"
            f"<body><h1>404 - Page Not Found</h1><p>The page {html.escape(path)} does not exist on "
            f"{html.escape(host)}.</p><p><a href='/'>Return to the home page</a></p></body></html>")
    return Response(404, HTML, body.encode())


def _home(c: SimCity, rng: random.Random) -> str:
    news = "".join(f"<li><a href=\"/news\">{_headline(c, rng)}</a></li>" for _ in range(3))
    portal = (f'<p>Find city datasets on our <a href="https://{c.portal_host}/">open data portal</a>.</p>'
              if c.portal_host and c.portal_linked else "")
    return (f"<p>Welcome to {html.escape(c.name)}, home to {c.population:,} residents.</p>"
            f"<section class=\"quick-links\"><h2>How do I...</h2><ul>"
            f"<li><a href=\"/departments\">Find a department</a></li><li><a href=\"/budget\">Read the budget</a></li>"
            f"<li><a href=\"/performance\">See how we are doing</a></li><li><a href=\"/council\">Attend a meeting</a></li>"
            f"</ul></section><section class=\"news\"><h2>Latest News</h2><ul>{news}</ul></section>{portal}")


def _other_portal_text(host: str) -> str:
    """Link text for a portal the city does not run; it says "open data" just like the city's own would."""
    if "-county-" in host:
        return "County Open Data Portal"
    return "State Open Data" if "-state." in host else "Regional Open Data"


def _headline(c: SimCity, rng: random.Random) -> str:
    return html.escape(rng.choice([
        f"{c.name} opens new community center", "Road resurfacing begins next week",
        "Council adopts fiscal year 2026 budget", "Summer recreation registration now open",
        "City launches online permit portal", f"{c.name} earns award for financial reporting",
        "Water main replacement project update", "Mayor presents state of the city address"]))


def _departments(c: SimCity, rng: random.Random) -> str:
    depts = sorted(rng.sample(DEPARTMENTS, 8))
    items = "".join(f"<li><h3>{html.escape(d)}</h3><p>Director: {_person(rng)}</p></li>" for d in depts)
    return f"<p>{html.escape(c.name)} is organized into the following departments.</p><ul class=\"depts\">{items}</ul>"


def _news(c: SimCity, rng: random.Random) -> str:
    items = "".join(f"<article><h2>{_headline(c, rng)}</h2><time datetime=\"2026-09-{10 + k:02d}\">"
                    f"September {10 + k}, 2026</time><p>Residents can learn more at City Hall.</p></article>"
                    for k in range(5))
    return items


def _budget(c: SimCity, rng: random.Random) -> str:
    total = c.population * rng.randrange(1_800, 3_200)
    return (f"<p>The adopted operating budget for fiscal year 2026 is ${total:,}.</p>"
            "<ul><li><a href=\"/budget\">Adopted Budget FY2026 (PDF)</a></li>"
            "<li><a href=\"/budget\">Capital Improvement Plan 2026-2030</a></li>"
            "<li><a href=\"/budget\">Annual Comprehensive Financial Report</a></li></ul>")


#: Decisive phrase of /performance for cities with ``performance_reporting`` (the answer key quotes it).
PERFORMANCE_PHRASE = "tracks service targets"
#: What /performance says instead for cities without it: a budget page, no measures or targets.
PERFORMANCE_NEGATIVE_PHRASE = "budget performance"


def _performance(c: SimCity, rng: random.Random) -> str:
    if "performance_reporting" not in c.practices:
        funds = "".join(f"<tr><td>{f}</td><td>${c.population * rng.randrange(200, 900):,}</td></tr>"
                        for f in ("General Fund", "Water and Sewer Fund", "Capital Projects Fund", "Debt Service"))
        return (f"<p>This page summarizes the budget performance of the City of {html.escape(c.name)}: the adopted "
                "appropriations by fund for fiscal year 2026. Detailed line items are in the adopted budget book.</p>"
                f"<table><thead><tr><th>Fund</th><th>Adopted FY2026</th></tr></thead><tbody>{funds}</tbody></table>"
                "<p>Questions about the budget may be directed to the Finance Department.</p>")
    measures = ("Potholes repaired within 48 hours", "911 calls answered within 15 seconds",
                "Permits issued within 30 days", "Library visits vs. target", "Code complaints inspected within 5 days",
                "Park acres within a 10-minute walk")
    rows = "".join(f"<tr><td>{m}</td><td>{rng.randrange(60, 99)}%</td><td>{rng.randrange(80, 100)}%</td></tr>"
                   for m in rng.sample(measures, 4))
    intro = rng.choice([
        f"Our quarterly performance report {PERFORMANCE_PHRASE} for every department and shows whether each one "
        "is on track.",
        f"The City of {html.escape(c.name)} publishes performance measures each quarter. The report "
        f"{PERFORMANCE_PHRASE} set in the strategic plan, so residents can see where we meet them and where we fall short.",
    ])
    return (f"<p>{intro}</p>"
            f"<table><thead><tr><th>Measure</th><th>Actual</th><th>Target</th></tr></thead><tbody>{rows}</tbody></table>"
            "<p>Figures are for the quarter ending September 30, 2026 and are updated within 30 days of quarter end.</p>")


def _council(c: SimCity, rng: random.Random) -> str:
    members = "".join(f"<li>{_person(rng)}, District {d}</li>" for d in range(1, 6))
    return (f"<p>Mayor {_person(rng)}</p><ul>{members}</ul>"
            "<p>Regular meetings are held the first and third Tuesday of each month at 6:00 p.m.</p>")


def _contact(c: SimCity, rng: random.Random) -> str:
    return (f"<p>Email: <a href=\"mailto:info@{c.website_host}\">info@{c.website_host}</a></p>"
            "<p>Office hours: Monday to Friday, 8:00 a.m. to 5:00 p.m.</p>")


def _staff(c: SimCity, rng: random.Random) -> str:
    return "<ul>" + "".join(f"<li>{_person(rng)}</li>" for _ in range(6)) + "</ul>"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"


_INNER = {"departments": _departments, "news": _news, "budget": _budget, "performance": _performance,
          "council": _council, "contact": _contact, "private/staff": _staff}
