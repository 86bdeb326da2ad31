"""Wikidata Query Service answers in the SPARQL 1.1 JSON results format.

The query text is not interpreted: every request gets the official websites of the whole population,
as the project's one query asks for. One binding per (item, website) pair; optional variables are
simply absent from a binding, as in real results.
"""

from __future__ import annotations

from tests.simweb.formats.common import Response, json_response
from tests.simweb.population import Population

HOST = "query.wikidata.org"
PATH = "/sparql"
VARS = ["item", "itemLabel", "fips", "website", "stateIso"]
CONTENT_TYPE = "application/sparql-results+json;charset=utf-8"


def sparql_json(pop: Population) -> Response:
    bindings = []
    for c in pop.cities:
        base = {"item": {"type": "uri", "value": f"http://www.wikidata.org/entity/{c.qid}"},
                "itemLabel": {"type": "literal", "xml:lang": "en", "value": c.name},
                "stateIso": {"type": "literal", "value": f"US-{c.state_abbr}"}}
        if c.wikidata_fips:
            base["fips"] = {"type": "literal", "value": c.wikidata_fips}
        sites = ([c.website] if c.website else []) + c.extra_websites
        for site in sites or [None]:
            binding = dict(base)
            if site:
                binding["website"] = {"type": "uri", "value": site}
            bindings.append(binding)
    return json_response({"head": {"vars": VARS}, "results": {"bindings": bindings}}, content_type=CONTENT_TYPE)


def bad_request(reason: str) -> Response:
    """WDQS answers a missing or empty query with 400 and a plain-text explanation."""
    return Response(400, "text/plain; charset=utf-8", f"Bad Request: {reason}\n".encode())
