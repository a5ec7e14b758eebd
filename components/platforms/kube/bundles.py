"""How a service's plain files are spread over ConfigMaps.

The API server refuses an object above 1 MiB (what etcd stores in one request), and Grafana's
dashboards alone pass that with a few dozen applications (about 30 KiB each). So the files
under a plan's `split_dirs` (Grafana's `dashboards/`) go into one ConfigMap per sub-directory,
i.e. per Grafana folder, and the rest into the service's main ConfigMap; a group still above
the budget is cut into numbered parts. Every part is projected into the same config
directory, so each file lands at the path it would have from a single object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.platforms.kube.pods import PolicyError, object_key
from content.service_plan import ServicePlan

# The API server's limit on one object (etcd's request size).
OBJECT_LIMIT = 1024 * 1024
# What one ConfigMap's files may take (see `file_cost`); the rest of the limit is left to the
# name, labels and other annotations. Server-side apply keeps no last-applied copy of the data
# in an annotation, so nothing doubles the data.
BUNDLE_BUDGET = 900 * 1024


@dataclass(frozen=True)
class Bundle:
    """One ConfigMap of a service: its name and the paths (relative to CONFIG_DIR) it carries."""

    name: str
    paths: tuple[str, ...]


def file_cost(path: str, content: str) -> int:
    """Bytes a file adds to a ConfigMap: its key and content under `data`, its key and path in
    the files annotation (`pods.bundle_annotations`), and the JSON around them."""
    key = len(object_key(path).encode())
    return 2 * key + len(path.encode()) + len(content.encode()) + 16


def group_of(path: str, split_dirs: tuple[str, ...]) -> str:
    """The directory whose files share a ConfigMap: `dashboards/Databases` for a dashboard of
    that folder, "" (the main ConfigMap) for everything else."""
    for top in split_dirs:
        rest = path.removeprefix(top.rstrip("/") + "/")
        if rest != path and "/" in rest:
            return f"{top.rstrip('/')}/{rest.split('/', 1)[0]}"
    return ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _pack(plan: ServicePlan, paths: list[str], budget: int) -> list[list[str]]:
    """Paths in order, cut into parts that each stay within `budget`."""
    parts: list[list[str]] = [[]]
    used = 0
    for path in paths:
        cost = file_cost(path, plan.files[path])
        if cost > budget:
            raise PolicyError(f"{plan.name}: {path} takes {cost} bytes, more than one ConfigMap may hold "
                              f"({budget} bytes of a {OBJECT_LIMIT}-byte object); make the file smaller")
        if parts[-1] and used + cost > budget:
            parts.append([])
            used = 0
        parts[-1].append(path)
        used += cost
    return parts


def config_bundles(plan: ServicePlan, budget: int = BUNDLE_BUDGET) -> list[Bundle]:
    """The ConfigMaps of a service: `<service>-config` first, then one per split sub-directory
    (`grafana-dashboards-databases`), a part beyond the first suffixed `-2`, `-3`, ..."""
    groups: dict[str, list[str]] = {}
    for path in sorted(plan.files):
        groups.setdefault(group_of(path, plan.split_dirs), []).append(path)
    bundles = []
    for group, paths in sorted(groups.items()):
        base = f"{plan.name}-{_slug(group)}" if group else f"{plan.name}-config"
        for i, part in enumerate(_pack(plan, paths, budget)):
            bundles.append(Bundle(base if i == 0 else f"{base}-{i + 1}", tuple(part)))
    return bundles
