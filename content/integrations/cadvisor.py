"""Containers through cAdvisor, which needs root and the Docker host's state read-only."""

from __future__ import annotations

from content.integrations.base import Exporter, HostAccess


class Cadvisor(Exporter):
    key = "cadvisor"
    title = "cAdvisor"
    port = 8080
    layer = "infrastructure"
    # On Kubernetes every kubelet embeds cAdvisor: the kubernetes integration scrapes it there
    # (job `cadvisor`, /metrics/cadvisor), so this container runs on Docker only.
    platforms = ("docker",)
    platform_note = "every kubelet serves cAdvisor's metrics; enable exporters.kubernetes, whose cadvisor job scrapes them"
    # cAdvisor reads cgroups and the Docker state: upstream runs it privileged, as root.
    user = None
    read_only_root = False
    host_access = HostAccess(
        mounts=(("/", "/rootfs"), ("/var/run", "/var/run"), ("/sys", "/sys"),
                ("/var/lib/docker", "/var/lib/docker"), ("/dev/disk", "/dev/disk")),
        privileged=True,
    )
