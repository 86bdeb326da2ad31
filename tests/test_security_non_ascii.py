"""Security test for finding F2 of docs/security.md: non-ASCII bytes from a server never crash the fetcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.http.fetcher import Fetcher
from tests.security_support import (
    PUBLIC,
    Wire,
    _config,
    response,
)


# ======================================================================= robustness of the archive path
@pytest.mark.parametrize("case", ["location", "reason", "link"])
def test_non_ascii_bytes_from_a_server_never_crash_the_fetcher(case: str, tmp_path: Path) -> None:
    routes = {"/go": response(302, "Found", [("Location", b"/caf\xc3\xa9.pdf")]),
              "/reason": response(200, b"\xc3\x96K", body=b"fine")}
    with Wire(PUBLIC, routes=routes, default=response(200, body=b"page")) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        url = {"location": "http://www.city.example/go", "reason": "http://www.city.example/reason",
               "link": "http://www.city.example/presupuesto_a\u00f1o.pdf"}[case]
        with Fetcher(cfg, run_dir=tmp_path) as f:
            results = f.fetch_many([url, "http://www.city.example/ok"])
    assert [r.outcome.value for r in results] == ["ok", "ok"]
