"""Linux hosts through node_exporter, reading the host's file systems and processes."""

from __future__ import annotations

from config.settings import ExporterSettings
from content.integrations.base import Exporter, HostAccess
from content.rules import Alert
from content.scrape import ScrapeJob


class Node(Exporter):
    key = "node"
    title = "Node exporter"
    port = 9100
    layer = "infrastructure"
    # As upstream runs it: the host's root read-only, its process table, and (Kubernetes) its network.
    host_access = HostAccess(mounts=(("/", "/host"),), pid_host=True, host_network=True)

    def args(self, own: ExporterSettings) -> list[str]:
        # systemd is not reachable from a container; the host's root is mounted at /host.
        return ["--path.rootfs=/host", "--no-collector.systemd"]

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        return [
            Alert(
                name="HostHighCpuLoad",
                expr=f'1 - avg by (instance) (rate(node_cpu_seconds_total{{{sel},mode="idle"}}[5m])) > 0.9',
                for_="10m", severity="warning",
                summary="Host CPU above 90%",
                description="CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy.",
            ),
            Alert(
                name="HostOutOfMemory",
                expr=f"node_memory_MemAvailable_bytes{{{sel}}} / node_memory_MemTotal_bytes{{{sel}}} < 0.1",
                for_="5m", severity="warning",
                summary="Host memory below 10% available",
                description="{{ $labels.instance }} has {{ $value | humanizePercentage }} of its memory available.",
            ),
            Alert(
                name="HostDiskSpaceLow",
                expr=(
                    f'node_filesystem_avail_bytes{{{sel},fstype!~"tmpfs|overlay|squashfs"}}'
                    f' / node_filesystem_size_bytes{{{sel},fstype!~"tmpfs|overlay|squashfs"}} < 0.1'
                ),
                for_="5m", severity="warning",
                summary="File system below 10% free",
                description="{{ $labels.mountpoint }} on {{ $labels.instance }} has "
                "{{ $value | humanizePercentage }} free.",
            ),
        ]
