"""The digests that replace or roll a service when its configuration changes: one helper for
both platforms.

`files_digest` covers what a service reads from its config directory that is no secret: every
file's path and content, and the names (never the values) of its secret files and secret
variables. Docker names the config volume after it, Kubernetes puts it on the pod template
(`checksum/config`): a change replaces the container or rolls the pods.

`secrets_digest` rolls the pods when a credential rotates (Kubernetes; on Docker the uploaded
files themselves replace the container). A plain hash of the secret files would be a verifier
of them: anyone allowed to read a Deployment, a right the `view` role grants without the right
to read Secrets, could test guesses of an exporter's one password offline. So it is an HMAC
whose key is itself a secret that no workload manifest shows: `grafanaSecretKey`, which every
stack already requires (generated, or set with `openssl rand -hex 32`; config.grafana refuses
a short one), under a label of its own so the key serves this purpose under one name only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from content.service_plan import ServicePlan

# The secret config key the rollout digest of secrets is keyed with (see the module docstring).
DIGEST_KEY_SECRET = "grafanaSecretKey"
_DIGEST_LABEL = b"monstack checksum/secrets v1"


def _field(data: str) -> bytes:
    """Length-prefixed, so that no two different sequences of strings feed the same bytes."""
    raw = data.encode()
    return len(raw).to_bytes(8, "big") + raw


def files_digest(plan: ServicePlan) -> str:
    """Hex SHA-256 of the service's plain files and of the names of its secrets."""
    h = hashlib.sha256()
    for path, content in sorted(plan.files.items()):
        h.update(_field(path) + _field(content))
    for path in sorted(s.path for s in plan.secret_files):
        h.update(_field(f"secret-file {path}"))
    for var, key in sorted(plan.secret_env.items()):
        h.update(_field(f"secret-env {var}={key}"))
    return h.hexdigest()


def secrets_digest(key: str, contents: Sequence[str]) -> str:
    """Hex HMAC-SHA256 of the secret files' contents under a key derived from `key`: the same
    contents and key give the same digest (no needless rollout); without the key it reveals
    nothing about the contents, not even to a dictionary of likely passwords."""
    derived = hmac.new(key.encode(), _DIGEST_LABEL, hashlib.sha256).digest()
    mac = hmac.new(derived, digestmod=hashlib.sha256)
    for content in contents:
        mac.update(_field(content))
    return mac.hexdigest()
