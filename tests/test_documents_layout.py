"""Main text where a site's class names and landmarks say less than they seem to.

Written after reading saved pages of local agencies' sites from a public scraper project's test files (not in
this repository): a Weebly site's "wsite-not-footer", a school district's "page-w-sidebar-container", a Joomla
template's "s5_responsive_mobile_sidebar_body_wrap" and a ``main`` holding only a heading each cost a whole
page's text. The markup below is ours, shaped the same way.
"""

from __future__ import annotations

from sources.evidence.documents import WRAPPER_PROSE_CHARS, from_html

PROSE = ("The Commission oversees the special service area budget and meets on the third Wednesday of each "
         "month. Its members are appointed by the Mayor and serve three-year terms. ")


def _page(body: str) -> str:
    return f"<html><head><title>Commission | Example County</title></head><body>{body}</body></html>"


def test_class_names_that_describe_the_layout_are_not_the_chrome_they_name() -> None:
    html = _page(
        '<div class="no-header-page"><div class="wsite-elements wsite-not-footer wsite-content">'
        f'<div class="page-w-sidebar-container"><section class="page-w-sidebar-section"><p>{PROSE}</p></section>'
        '<div class="sidebar"><ul><li><a href="/a">Agendas</a></li><li><a href="/m">Minutes</a></li></ul></div>'
        '</div></div><div class="site-footer">Copyright Example County</div></div>')
    text = from_html(html, "https://www.example.gov/commission").text
    assert "appointed by the Mayor" in text
    assert "Agendas" not in text and "Copyright" not in text     # the real sidebar and footer still go


def test_an_empty_main_landmark_does_not_hide_the_page_beside_it() -> None:
    html = _page('<nav><a href="/">Home</a> <a href="/about">About</a></nav>'
                 '<main class="grid-container"><h1>Commission</h1></main>'
                 f'<div class="intro-text"><p>{PROSE * 8}</p></div>')
    text = from_html(html).text
    assert "appointed by the Mayor" in text and "About" not in text
    full = _page(f'<nav><a href="/about">About</a></nav><main><h1>Commission</h1><p>{PROSE * 2}</p></main>'
                 '<div class="promo"><p>Visit the farmers market this Saturday on Main Street.</p></div>')
    assert "farmers market" not in from_html(full).text      # a main with the page's text is still the page


def test_a_wrapper_named_for_the_sidebar_beside_it_keeps_the_page_it_wraps() -> None:
    links = "".join(f'<li><a href="/p{i}">Program page number {i}</a></li>' for i in range(60))
    html = _page('<div class="s5_responsive_mobile_sidebar_body_wrap"><div class="s5_body_padding">'
                 f'<p>{PROSE * 12}</p></div></div>'
                 f'<div class="s5_responsive_mobile_sidebar"><ul>{links}</ul></div>')
    assert len(PROSE * 12) > WRAPPER_PROSE_CHARS
    text = from_html(html).text
    assert "appointed by the Mayor" in text and "Program page number" not in text


def test_a_class_that_negates_what_it_names_is_not_that_chrome() -> None:
    html = _page('<div class="site-banner"><a href="/">County Home</a></div>'
                 '<div class="main-container not-banner-header"><div class="row">'
                 f'<p>{PROSE}</p></div></div>')
    text = from_html(html).text
    assert "appointed by the Mayor" in text and "County Home" not in text


def test_an_outer_wrapper_named_for_the_sidebar_state_is_the_page_it_wraps() -> None:
    """A theme's outermost div named "upper tmnf-sidebar-active" around a page that is mostly a list of agenda
    files: too few words outside links to be called prose, but nearly all of the page's text."""
    rows = "".join(f'<p>Council Agenda, meeting {i} <a href="/agenda{i}.pdf">Download</a></p>' for i in range(40))
    html = _page(f'<div class="upper tmnf-sidebar-active header_default"><div class="wrapper"><h1>Agendas</h1>'
                 f'{rows}</div></div><div class="sidebar"><a href="/mayor">Mayor</a> <a href="/clerk">Clerk</a></div>')
    text = from_html(html).text
    assert "meeting 39" in text and "Mayor" not in text


def test_a_wrapper_named_for_its_layout_that_holds_the_content_container_is_kept() -> None:
    """A theme's "site-main-inner-wrap template-sidebar-right" holds both the page's .entry-content and its
    sidebar; the page is short and its menu long, so only the container it holds tells it from a sidebar."""
    menu = "".join(f'<li><a href="/d{i}">Department of Services number {i}</a></li>' for i in range(80))
    html = _page(f'<ul class="top-links">{menu}</ul>'
                 '<div class="site-main-inner-wrap row template-sidebar-right"><div class="columns">'
                 f'<div class="entry-content"><p>{PROSE * 2}</p></div></div>'
                 '<div class="widget-area sidebar"><div class="widget-content"><a href="/events">Events</a></div>'
                 '</div></div>')
    text = from_html(html).text
    assert "appointed by the Mayor" in text and "Events" not in text
    sidebar = _page(f'<div class="content"><p>{PROSE}</p></div><div class="sidebar"><div class="widget-content">'
                    '<p>Sign up for the newsletter to hear about events.</p></div></div>')
    assert "newsletter" not in from_html(sidebar).text     # a sidebar's widget container is not the page's


def test_chrome_that_is_long_or_holds_blocks_and_cards_is_still_chrome() -> None:
    """From a review of the wrapper rules: a Drupal sidebar whose every block has a ``.content`` div, a footer of
    long legal notices, a cookie-settings dialog, a mega-menu holding a featured ``article`` card and a short
    ``main`` beside a long menu must all stay out of the text."""
    legal = ("The City does not discriminate on the basis of race, color, national origin, sex, religion, age or "
             "disability in employment or the provision of services. Requests for public records may be made to "
             "the City Clerk under the state's public records law. ") * 6
    menu = "".join(f'<li><a href="/s{i}">Service number {i}</a> Apply, pay or report online.</li>' for i in range(30))
    html = _page(f'<div id="main"><h1>Commission</h1><p>{PROSE}</p></div>'
                 '<div id="sidebar-first" class="sidebar"><div class="block"><div class="content"><p>Pay your water '
                 'bill online.</p></div></div></div>'
                 f'<div class="site-footer"><p>{legal}</p></div>'
                 f'<div class="cookie-settings-modal"><p>{legal}</p></div>')
    text = from_html(html).text
    assert "appointed by the Mayor" in text
    assert "water bill" not in text and "does not discriminate" not in text
    card = _page(f'<div class="mega-menu"><ul>{menu}</ul><article class="card"><h3>Summer camp</h3>'
                 '<p>Registration is open.</p></article></div>'
                 f'<div class="page"><h1>Commission</h1><p>{PROSE * 2}</p></div>')
    text = from_html(card).text
    assert "appointed by the Mayor" in text and "Summer camp" not in text
    short = _page(f'<nav><ul>{menu}</ul></nav><main><h1>Contact Us</h1><p>Call 311 for city services.</p></main>'
                  '<div class="alert-bar"><p>City offices close at noon Friday.</p></div>')
    text = from_html(short).text
    assert "Call 311" in text and "offices close" not in text
    spaced = _page(f'<div class="wrap"><p>{PROSE}</p></div><div class="no footer"><p>Copyright Example County</p></div>')
    assert "Copyright" not in from_html(spaced).text        # two classes, "no" and "footer": a footer
