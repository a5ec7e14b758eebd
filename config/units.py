"""Parsing of the units that Prometheus, Docker and Kubernetes share with our settings.

Kept free of Pulumi and pydantic so that content and platforms can convert values the
same way the validators accepted them (one parser, no drift between check and use).
"""

from __future__ import annotations

import re

_DURATION_RE = re.compile(
    r"^(?:(?P<y>\d+)y)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?"
    r"(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)
_DURATION_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}

# Prometheus' --storage.tsdb.retention.size and our memory sizes use base-2 units, as Prometheus does.
_SIZE_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)$")
_SIZE_FACTORS = {
    "B": 1,
    "KB": 1024, "KiB": 1024,
    "MB": 1024**2, "MiB": 1024**2,
    "GB": 1024**3, "GiB": 1024**3,
    "TB": 1024**4, "TiB": 1024**4,
    "PB": 1024**5, "PiB": 1024**5,
}


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration ("1h30m", "15d", "500ms"); ValueError when unparsable."""
    match = _DURATION_RE.match(text or "")
    if not text or not match or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not a Prometheus duration such as 30s, 5m, 12h or 15d")
    return sum(int(v) * _DURATION_SECONDS[k] for k, v in match.groupdict().items() if v)


def size_bytes(text: str) -> int:
    """Bytes in a size such as "2GB", "768MB" or "512MiB" (base 2, as Prometheus reads them)."""
    match = _SIZE_RE.match((text or "").strip())
    if not match:
        raise ValueError(f"{text!r} is not a size such as 512MB, 2GB or 10GiB")
    return int(float(match["num"]) * _SIZE_FACTORS[match["unit"]])


def size_megabytes(text: str) -> int:
    """Whole mebibytes, the unit pulumi-docker takes for memory limits."""
    return max(1, size_bytes(text) // 1024**2)


def kubernetes_quantity(text: str) -> str:
    """A size as a Kubernetes quantity in whole Mi, written in the canonical form (Gi where exact)
    that the Kubernetes provider renders and the API server stores: 1GB is `1Gi`, not `1024Mi`, so
    the offline preview shows what the engine writes."""
    mebibytes = max(1, size_bytes(text) // 1024**2)
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"


def cpu_quantity(cores: float) -> str:
    """CPU cores as a Kubernetes quantity in the canonical form: whole cores bare (`1`), else millicores."""
    millicores = round(cores * 1000)
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def gibibytes_ceil(size: int) -> int:
    """Whole GiB needed to hold `size` bytes (volume claims are sized in GiB)."""
    return max(1, -(-size // 1024**3))


def volume_quantity(text: str) -> str:
    """A size as a Kubernetes storage quantity: whole Gi where exact, else Mi."""
    size = size_bytes(text)
    return f"{size // 1024**3}Gi" if size % 1024**3 == 0 else f"{max(1, -(-size // 1024**2))}Mi"
