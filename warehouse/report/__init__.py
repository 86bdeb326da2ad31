"""The outreach report: a static HTML site built from the published warehouse.

Static and self-contained (no server, no CDN, nothing fetched at view time) so it can be mailed, kept on a
file share next to the snapshot it describes, and opened offline from file://. Everything it shows comes
from the warehouse, which holds text scraped from the web, so every page is rendered with autoescaping and
only http(s) links become hrefs.
"""

from warehouse.report.build import ReportSummary, build_dictionary, build_report

__all__ = ["ReportSummary", "build_dictionary", "build_report"]
