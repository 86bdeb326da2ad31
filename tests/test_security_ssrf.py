"""Security tests for threats 1a-1f of docs/security.md: SSRF to internal addresses, redirects, DNS rebinding, proxies."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sources.http.fetcher import Fetcher
from sources.http.urls import normalize_url
from tests.security_support import (
    INTERNAL,
    PUBLIC,
    Wire,
    _config,
    response,
)


def _pair_on_one_port() -> tuple[Wire, Wire]:
    """A "public" server on 127.0.0.2 and an "internal" one on 127.0.0.1 sharing a port number, so a DNS
    answer that changes only the address would land on the internal one."""
    for _ in range(50):
        public = Wire(PUBLIC)
        try:
            return public, Wire(INTERNAL, public.port)
        except OSError:
            public._server.server_close()   # never started: close the socket only
    raise RuntimeError("no free port on both loopback addresses")


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address any socket in this process tries to connect to, in order (urllib3 connects through
    ``socket.socket.connect``)."""
    seen: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(sock: socket.socket, address) -> None:
        seen.append(address[0] if isinstance(address, tuple) else str(address))
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address) -> int:
        seen.append(address[0] if isinstance(address, tuple) else str(address))
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


# ================================================================================ 1. SSRF and rebinding
#: Literal addresses no fetch may reach: loopback, link-local (cloud metadata), RFC 1918, shared address
#: space, unspecified, IPv6 loopback / ULA / link-local, IPv4-mapped, IPv4-compatible and NAT64 forms.
#: {p} is the port of a live internal server, so a connection, if one were made, would succeed.
BLOCKED_LITERALS = [
    "http://127.0.0.1:{p}/", "http://127.0.0.1.:{p}/admin", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://0.0.0.0:{p}/", "http://[::1]:{p}/", "http://[::]:{p}/", "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/", "http://[::ffff:127.0.0.1]:{p}/", "http://[::ffff:7f00:1]:{p}/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/", "http://[::127.0.0.1]:{p}/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
]


#: Host names that are IPs in disguise (decimal, hex, octal, short forms) or local names. They are not IP
#: literals to ``ipaddress``, so they go through the resolver, whose answer is checked.
DISGUISED_HOSTS = ["2130706433", "0x7f000001", "017700000001", "0177.0.0.1", "0x7f.1", "127.1", "0", "localhost"]


def _resolves(host: str) -> bool:
    try:
        return bool(socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        return False


@pytest.mark.parametrize("template", BLOCKED_LITERALS)
def test_ssrf_private_literal_is_blocked_before_any_connection(template: str, tmp_path: Path,
                                                               connects: list[str]) -> None:
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal:
        url = template.format(p=internal.port)
        with Fetcher(_config(), run_dir=tmp_path) as f:
            result = f.get(url)
    assert result.outcome.value == "blocked_address", (url, result.outcome, result.error)
    assert result.body == b"" and connects == [] and internal.peers == []


@pytest.mark.parametrize("host", DISGUISED_HOSTS)
def test_ssrf_numeric_and_local_host_names_are_refused(host: str, tmp_path: Path, connects: list[str]) -> None:
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal, \
            Fetcher(_config(), run_dir=tmp_path) as f:
        result = f.get(f"http://{host}:{internal.port}/")
    # glibc reads these as 127.0.0.1 / 0.0.0.0, and the answer is refused; a resolver that does not read
    # them at all makes the fetch a dns_error. Either way nothing is contacted.
    expected = "blocked_address" if _resolves(host) else "dns_error"
    assert result.outcome.value == expected, (host, result.outcome, result.error)
    assert connects == [] and internal.peers == []


REDIRECT_TARGETS = BLOCKED_LITERALS + [f"http://{h}:{{p}}/" for h in DISGUISED_HOSTS] + [
    "http://internal.city.example/", "http://user:pw@127.0.0.1:{p}/", "http://127.0.0.1:{p}#@www.city.example/"]


@pytest.mark.parametrize("template", REDIRECT_TARGETS)
def test_ssrf_redirect_to_a_private_address_is_blocked(template: str, tmp_path: Path, connects: list[str]) -> None:
    """A public page redirecting to an internal address: the hop is refused, nothing internal is contacted."""
    with Wire(INTERNAL, default=response(200, body=b"internal secret")) as internal:
        target = template.format(p=internal.port)
        with Wire(PUBLIC, routes={"/go": response(302, "Found", [("Location", target)])}) as public:
            cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}",
                                   "internal.city.example": "10.0.0.5"},
                          allow_addresses=(f"{PUBLIC}/32",))
            with Fetcher(cfg, run_dir=tmp_path) as f:
                result = f.get("http://www.city.example/go")
    host = urlsplit(target).hostname or ""
    expected = "dns_error" if host in DISGUISED_HOSTS and not _resolves(host) else "blocked_address"
    assert result.outcome.value == expected, (target, result.outcome, result.error)
    assert result.redirects == [normalize_url(target)] and result.body == b""
    assert set(connects) == {PUBLIC} and internal.peers == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:11211/_stats", "ftp://10.0.0.1/",
                                    "dict://127.0.0.1:6379/info", "jar:http://127.0.0.1/x!/"])
def test_ssrf_redirect_to_another_scheme_is_refused(target: str, tmp_path: Path, connects: list[str]) -> None:
    with Wire(PUBLIC, routes={"/go": response(302, "Found", [("Location", target)])}) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        with Fetcher(cfg, run_dir=tmp_path) as f:
            result = f.get("http://www.city.example/go")
    assert result.outcome.value == "invalid_url" and result.body == b""
    assert set(connects) == {PUBLIC}


def _rebinding_resolver(monkeypatch: pytest.MonkeyPatch, name: str, answers: list[str]) -> list[str]:
    """Patch the standard resolver: ``name`` answers ``answers`` in turn (then the last one forever);
    every other name resolves normally. Returns the list of answers given, one per lookup."""
    given: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.lower() == name:
            addr = answers[min(len(given), len(answers) - 1)]
            given.append(addr)
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (addr, int(port or 80)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


def test_dns_rebinding_cannot_move_the_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  connects: list[str]) -> None:
    """The name answers a public address once, then the internal one. The fetcher resolves once per hop and
    connects to the very address it checked; a naive check-then-fetch client, on the same resolver, is
    carried to the internal service (the control that proves the resolver really rebinds)."""
    public, internal = _pair_on_one_port()
    public.default = response(200, body=b"public page")
    internal.default = response(200, body=b"internal secret")
    name = "rebind.example"
    url = f"http://{name}:{public.port}/"
    with public, internal:
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",), obey_robots=False), run_dir=tmp_path / "a") as f:
            result = f.get(url)
        assert result.outcome.value == "ok" and result.body == b"public page"
        assert given == [PUBLIC], "one lookup per hop: nothing left to rebind between check and connect"
        assert connects == [PUBLIC] and internal.peers == []
        assert public.requests == [("GET", "/", f"{name}:{public.port}")], "the logical Host is still sent"

        # With robots.txt on, the page is a second hop: its own lookup now answers the internal address,
        # and that answer is checked, not trusted.
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        connects.clear()
        with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",)), run_dir=tmp_path / "b") as f:
            second = f.get(url + "page")
        assert given == [PUBLIC, INTERNAL]
        assert second.outcome.value == "blocked_address" and internal.peers == []
        assert set(connects) == {PUBLIC}

        # Control: check the name, then hand the URL to a plain client, which resolves again.
        given = _rebinding_resolver(monkeypatch, name, [PUBLIC, INTERNAL])
        checked = socket.getaddrinfo(name, public.port)[0][4][0]
        with requests.Session() as naive:
            naive.trust_env = False
            leaked = naive.get(url, timeout=5)
        assert checked == PUBLIC and leaked.content == b"internal secret" and internal.peers == [INTERNAL]


def test_a_name_with_any_private_address_is_refused_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          connects: list[str]) -> None:
    """Round-robin answers mixing a public and a private address: refused, nothing contacted (otherwise the
    connection could fall through to the private one)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 80))) for a in (PUBLIC, "10.0.0.1")]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with Fetcher(_config(allow_addresses=(f"{PUBLIC}/32",)), run_dir=tmp_path) as f:
        result = f.get("http://mixed.example/")
    assert result.outcome.value == "blocked_address" and connects == []


def test_proxy_environment_cannot_bypass_the_pinned_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           connects: list[str]) -> None:
    """A proxy would resolve the name itself, defeating the pin: proxy variables are ignored."""
    with Wire(PUBLIC, default=response(200, body=b"direct")) as public, \
            Wire(INTERNAL, default=response(200, body=b"via proxy")) as proxy:
        for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(var, f"http://{INTERNAL}:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",))
        with Fetcher(cfg, run_dir=tmp_path) as f:
            result = f.get("http://www.city.example/")
    assert result.body == b"direct" and proxy.peers == [] and set(connects) == {PUBLIC}
