"""Unit tests of the HTTP layer's pure parts: URL normalization, address policy, gate, archive."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sources.http.addresses import AddressBlocked, AddressPolicy, ResolutionFailed, is_public
from sources.http.archive import ReplayIndex, WarcArchive, warc_now
from sources.http.body import BodyBuffer
from sources.http.fetcher import _retry_after
from sources.http.politeness import HostGate
from sources.http.urls import InvalidURL, normalize_url


@pytest.mark.parametrize(("raw", "expected"), [
    ("HTTPS://WWW.Example.COM", "https://www.example.com/"),
    ("http://example.com:80/a?b=1#frag", "http://example.com/a?b=1"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("https://example.com/p?z=1&a=2", "https://example.com/p?z=1&a=2"),  # query order kept
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
])
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize("bad", ["ftp://example.com/", "https:///nohost", "javascript:alert(1)",
                                 "http://example.com:99999/"])
def test_normalize_rejects(bad: str) -> None:
    with pytest.raises(InvalidURL):
        normalize_url(bad)


@pytest.mark.parametrize(("addr", "public"), [
    ("8.8.8.8", True), ("10.1.2.3", False), ("127.0.0.1", False), ("169.254.169.254", False),
    ("192.168.1.1", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
    ("fe80::1", False), ("::ffff:10.0.0.1", False), ("2606:4700:4700::1111", True), ("224.0.0.1", False),
])
def test_is_public(addr: str, public: bool) -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address(addr)) is public


def test_policy_blocks_private_literals_and_overrides_unless_allowed() -> None:
    policy = AddressPolicy({"internal.city.example": "10.0.0.5", "*": "127.0.0.1:8080"}, ())
    with pytest.raises(AddressBlocked):
        policy.target("10.0.0.7", 80)
    with pytest.raises(AddressBlocked):
        policy.target("internal.city.example", 80)   # a name that "resolves" to a private address
    with pytest.raises(AddressBlocked):
        policy.target("www.city.example", 80)        # 127.0.0.1 is not allowed by default
    allowed = AddressPolicy({"internal.city.example": "10.0.0.5", "*": "127.0.0.1:8080"}, ("127.0.0.1",))
    target = allowed.target("www.city.example", 443)
    assert (target.address, target.port, target.overridden) == ("127.0.0.1", 8080, True)
    with pytest.raises(AddressBlocked):
        allowed.target("internal.city.example", 80)
    with pytest.raises(AddressBlocked):  # IP literals never ride on the wildcard override
        allowed.target("169.254.169.254", 80)


def test_policy_dns_patterns_prefer_exact_then_longest() -> None:
    policy = AddressPolicy({"*.invalid": None, "*": "127.0.0.1:1"}, ("127.0.0.1",))
    with pytest.raises(ResolutionFailed):
        policy.target("no-such-host.invalid", 80)
    assert policy.target("www.a.example", 80).overridden


def test_retry_after_parsing() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after("garbage") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after(None) is None


def test_gate_spaces_request_starts_and_serializes_a_host() -> None:
    gate = HostGate(0.2)
    starts: list[float] = []
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def hit() -> None:
        with gate.slot("h"):
            with lock:
                starts.append(time.monotonic())
                active["now"] += 1
                active["max"] = max(active["max"], active["now"])
            time.sleep(0.02)
            with lock:
                active["now"] -= 1

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert active["max"] == 1
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.19


def test_a_hosts_first_request_is_spaced_from_its_end() -> None:
    """The first request to a host opens the connection, so it reaches the server late and the next, on the
    open connection, early: the server saw the first two closer than the delay (0.1397 s of 0.15 under
    load). The gate spaces the first from its end, the rest from their starts."""
    now = [0.0]
    gate = HostGate(1.0, clock=lambda: now[0])
    with gate.slot("h"):
        now[0] = 0.4                            # connecting and the robots.txt answer took 0.4 s
    assert gate.ready_at("h") == 1.4
    now[0] = 1.4
    with gate.slot("h"):
        now[0] = 1.7
    assert gate.ready_at("h") == 2.4            # an open connection: from the start, as before


def test_gate_delay_never_below_default_and_defer() -> None:
    gate = HostGate(1.0)
    gate.set_delay("h", 0.1)
    assert gate.delay("h") == 1.0
    gate.set_delay("h", 3.0)
    assert gate.delay("h") == 3.0
    gate.defer("h", time.monotonic() + 100)
    assert gate.ready_at("h") > time.monotonic() + 50


def test_archive_roundtrip_last_record_wins_and_304_carries_body(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "t")
    req = [("Host", "www.a.example"), ("User-Agent", "cdpi-bot/0.1")]
    archive.write_exchange(url="https://www.a.example/x", method="GET", request_headers=req, status=503,
                           reason="Service Unavailable", response_headers=[], body=b"busy", date=warc_now())
    archive.write_exchange(url="https://www.a.example/x", method="GET", request_headers=req, status=200,
                           reason="OK", response_headers=[("Content-Type", "text/plain")], body=b"hello",
                           date=warc_now())
    archive.write_exchange(url="https://www.a.example/c", method="GET", request_headers=req, status=304,
                           reason="Not Modified", response_headers=[("ETag", '"1"')], body=b"",
                           date=warc_now(), reused_body=b"cached body")
    archive.write_failure(url="https://www.a.example/t", method="GET", outcome="timeout", error="slow",
                          date=warc_now(), request_headers=req)
    archive.write_exchange(url="https://www.a.example/big", method="GET", request_headers=req, status=200,
                           reason="OK", response_headers=[], body=b"x" * 10, date=warc_now(), truncated=True)
    archive.close()
    index = ReplayIndex([str(tmp_path)])
    assert index.lookup("GET", "https://WWW.A.EXAMPLE/x").body == b"hello"
    cached = index.lookup("GET", "https://www.a.example/c")
    assert cached.status == 304 and cached.reused_body == b"cached body"
    failure = index.lookup("GET", "https://www.a.example/t")
    assert (failure.outcome, failure.error) == ("timeout", "slow")
    assert index.lookup("GET", "https://www.a.example/big").outcome == "too_large"
    assert index.lookup("HEAD", "https://www.a.example/x") is None
    assert index.lookup("GET", "https://www.a.example/nothing") is None


def test_archive_survives_a_torn_tail(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "t")
    archive.write_exchange(url="https://www.a.example/", method="GET", request_headers=[], status=200,
                           reason="OK", response_headers=[], body=b"ok", date=warc_now())
    archive.close()
    with open(archive.path, "ab") as fh:  # what a SIGKILL mid-record leaves behind
        fh.write(b"\x1f\x8b\x08\x00garbage")
    index = ReplayIndex([str(archive.path)])
    assert index.lookup("GET", "https://www.a.example/").body == b"ok"


def test_replay_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="WARC file not found"):
        ReplayIndex([str(tmp_path / "nope.warc.gz")])


def test_body_buffer_spills_past_its_memory_limit_and_leaves_no_file(tmp_path: Path) -> None:
    with BodyBuffer(10, tmp_path) as small:
        small.write(b"abc")
        small.write(b"defg")
        assert not small.spilled and small.head(5) == b"abcde" and small.getvalue() == b"abcdefg"
    with BodyBuffer(10, tmp_path / "spill") as big:
        for piece in (b"0123456", b"789", b"abcdef", b"ghij"):
            big.write(piece)
        assert big.spilled and big.size == 20
        assert big.head(10) == b"0123456789" and big.head(99) == b"0123456789abcdefghij"
        assert big.getvalue() == b"0123456789abcdefghij"
        assert list((tmp_path / "spill").iterdir()) == [], "the temporary file has no name"
