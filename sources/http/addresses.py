"""Server-side request forgery guard: decide which address a host name may be contacted on.

Resolution happens once per hop and the connection is pinned to the address that was checked, so a
DNS answer that changes between check and connect (rebinding) cannot smuggle a private address in.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressBlocked(Exception):
    """The host resolves to an address we refuse to contact."""


class ResolutionFailed(Exception):
    """DNS could not resolve the host."""


@dataclass(frozen=True)
class Target:
    """Where to open the TCP connection for one logical URL."""

    address: str
    port: int
    #: True when a resolve override pointed here: connect in plain HTTP (simulated webs only).
    overridden: bool = False


class AddressPolicy:
    def __init__(self, resolve: dict[str, str | None], allow: tuple[str, ...]):
        self._exact = {k.lower(): v for k, v in resolve.items() if not _is_pattern(k)}
        self._patterns = sorted(((k.lower(), v) for k, v in resolve.items() if _is_pattern(k)),
                                key=lambda kv: -len(kv[0]))
        self._allow = [ipaddress.ip_network(a, strict=False) for a in allow]

    def target(self, host: str, port: int) -> Target:
        """Resolve ``host`` and vet every address; raise rather than return anything unsafe."""
        literal = _as_ip(host)
        if literal is not None:  # IP literals are never redirected by overrides: judged as they are
            self.check(str(literal), host)
            return Target(str(literal), port)
        override = self._override(host)
        if override is not None:
            addr, _, override_port = override.partition(":")
            target = Target(addr, int(override_port) if override_port else port, overridden=True)
            self.check(target.address, host)
            return target
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise ResolutionFailed(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise ResolutionFailed(f"no addresses for {host}")
        for addr in addresses:  # a host with any unsafe address is refused outright
            self.check(addr, host)
        return Target(addresses[0], port)

    def check(self, address: str, host: str) -> None:
        ip = _as_ip(address)
        if ip is None:
            raise AddressBlocked(f"{host} maps to a non-IP address {address!r}")
        if any(ip in net for net in self._allow):
            return
        if not is_public(ip):
            raise AddressBlocked(f"{host} resolves to non-public address {ip}")

    def _override(self, host: str) -> str | None:
        host = host.lower()
        if host in self._exact:
            return self._exact[host]
        for pattern, value in self._patterns:
            if fnmatch.fnmatchcase(host, pattern):
                return value
        return None


def is_public(ip: IPAddress) -> bool:
    """Globally routable unicast only; IPv4-mapped IPv6 is judged by its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified) and ip.is_global


def _as_ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def _is_pattern(key: str) -> bool:
    return any(ch in key for ch in "*?[")
