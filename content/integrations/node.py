"""Linux hosts through node_exporter, reading the host's file systems and processes.

Thresholds are the defaults of this integration; a stack changes any of them per alert
and severity with `alertOverrides`.
"""

from __future__ import annotations

from config.settings import ExporterSettings
from content.integrations.base import Exporter, HostAccess
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob

# File systems that fill or turn read-only by design are left out of the disk alerts.
FS_SELECTOR = 'fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs",mountpoint!~"/(run|boot|var/lib/docker/.+)($|/.*)"'
# Default alert levels, as ratios; the dashboard draws its lines at the deployed alerts' levels.
CPU_BUSY_ABOVE = 0.9  # HostHighCpuLoad
MEMORY_AVAILABLE_BELOW = 0.1  # HostOutOfMemory (memory use above 1 - this)
DISK_FREE_BELOW = 0.15  # HostDiskSpaceLow, warning


def cpu_utilisation(sel: str) -> str:
    return f"instance:node_cpu_utilisation:rate5m{{{sel}}}"


def memory_utilisation(sel: str) -> str:
    return f"instance:node_memory_utilisation:ratio{{{sel}}}"


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

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        sel = job.selector
        return [
            # Share of CPU time not idle, per host (0..1), averaged over its cores.
            Recording("instance:node_cpu_utilisation:rate5m",
                      f'1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{{{sel},mode="idle"}}[5m]))'),
            # Share of memory in use (0..1): what is not available to new allocations.
            Recording("instance:node_memory_utilisation:ratio",
                      f"1 - node_memory_MemAvailable_bytes{{{sel}}} / node_memory_MemTotal_bytes{{{sel}}}"),
        ]

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        fs = f"{sel},{FS_SELECTOR}"
        disk = {"device": "sda1", "fstype": "ext4", "mountpoint": "/"}

        def cpu(t, fire):
            idle = (1 - t) * (0.5 if fire else 1.5)
            return [Series(f"node_cpu_seconds_total{labels_of(sel, cpu='0', mode='idle')}", idle, rate=True)]

        def memory(t, fire):
            available = 1000 * (1 - t) * (0.5 if fire else 1.5)
            return [Series(f"node_memory_MemTotal_bytes{labels_of(sel)}", 1000),
                    Series(f"node_memory_MemAvailable_bytes{labels_of(sel)}", min(available, 1000))]

        def space(t, fire):
            return [Series(f"node_filesystem_size_bytes{labels_of(sel, **disk)}", 1000),
                    Series(f"node_filesystem_avail_bytes{labels_of(sel, **disk)}", min(1000, 1000 * t * (0.5 if fire else 1.5)))]

        def fills(_t, fire):
            # 30% free, losing 10 bytes a second: empty within hours when firing, steady when quiet.
            return [Series(f"node_filesystem_size_bytes{labels_of(sel, **disk)}", 1_000_000),
                    Series(f"node_filesystem_avail_bytes{labels_of(sel, **disk)}", -10 if fire else 0, rate=True,
                           start=300_000)]

        def network(t, fire):
            errors = 100 * t * (2 if fire else 0.5)
            return [Series(f"node_network_receive_packets_total{labels_of(sel, device='eth0')}", 100, rate=True),
                    Series(f"node_network_transmit_packets_total{labels_of(sel, device='eth0')}", 100, rate=True),
                    Series(f"node_network_receive_errs_total{labels_of(sel, device='eth0')}", errors, rate=True),
                    Series(f"node_network_transmit_errs_total{labels_of(sel, device='eth0')}", errors, rate=True)]

        space_alert = Alert(
            name="HostDiskSpaceLow",
            expr=f"node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < $threshold",
            threshold=DISK_FREE_BELOW, threshold_kind="ratio", for_="10m", severity="warning",
            summary="File system below $threshold free",
            description="{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} free.",
            fixture=space,
        )
        return [
            Alert(
                name="HostHighCpuLoad",
                expr=f"{cpu_utilisation(sel)} > $threshold",
                threshold=CPU_BUSY_ABOVE, threshold_kind="ratio", for_="10m", severity="warning",
                summary="Host CPU busier than $threshold",
                description="CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy.",
                fixture=cpu,
            ),
            Alert(
                name="HostOutOfMemory",
                expr=f"{memory_utilisation(sel)} > $threshold",
                threshold=round(1 - MEMORY_AVAILABLE_BELOW, 6), threshold_kind="ratio", for_="5m", severity="warning",
                summary="Host memory use above $threshold",
                description="{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory.",
                fixture=memory,
            ),
            space_alert,
            space_alert.replace(threshold=0.05, for_="5m", severity="critical"),
            Alert(
                name="HostDiskWillFillIn24Hours",
                expr=(f"predict_linear(node_filesystem_avail_bytes{{{fs}}}[6h], 24 * 3600) < 0"
                      f" and node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < 0.4"),
                for_="1h", severity="warning",
                summary="File system predicted full within 24 hours",
                description="At the rate of the last 6 hours, {{ $labels.mountpoint }} on {{ $labels.instance }} "
                "fills up within a day.",
                fixture=fills,
            ),
            Alert(
                name="HostDiskIoSaturated",
                expr=f"rate(node_disk_io_time_weighted_seconds_total{{{sel}}}[5m]) > $threshold",
                threshold=10, threshold_kind="count", for_="30m", severity="warning",
                summary="Disk I/O queue above $threshold",
                description="{{ $labels.device }} on {{ $labels.instance }} has an average I/O queue of "
                "{{ $value | humanize }}: requests wait.",
                fixture=lambda t, fire: [Series(f"node_disk_io_time_weighted_seconds_total{labels_of(sel, device='sda')}",
                                                t * (2 if fire else 0.5), rate=True)],
            ),
            Alert(
                name="HostFilesystemReadOnly",
                expr=f"node_filesystem_readonly{{{fs}}} == 1",
                for_="5m", severity="critical",
                summary="File system is read-only",
                description="{{ $labels.mountpoint }} on {{ $labels.instance }} turned read-only (often a disk error).",
                fixture=lambda _t, fire: [Series(f"node_filesystem_readonly{labels_of(sel, **disk)}", 1 if fire else 0)],
            ),
            Alert(
                name="HostClockSkew",
                expr=f"abs(node_timex_offset_seconds{{{sel}}}) > $threshold",
                threshold=0.05, threshold_kind="seconds", for_="10m", severity="warning",
                summary="Host clock off by more than $threshold s",
                description="The clock of {{ $labels.instance }} is {{ $value | humanizeDuration }} off: check NTP.",
                fixture=lambda t, fire: [Series(f"node_timex_offset_seconds{labels_of(sel)}", t * (2 if fire else 0.5))],
            ),
            Alert(
                name="HostNetworkErrors",
                expr=(f"(rate(node_network_receive_errs_total{{{sel}}}[5m])"
                      f" + rate(node_network_transmit_errs_total{{{sel}}}[5m]))"
                      f" / (rate(node_network_receive_packets_total{{{sel}}}[5m])"
                      f" + rate(node_network_transmit_packets_total{{{sel}}}[5m])) > $threshold"),
                threshold=0.01, threshold_kind="ratio", for_="10m", severity="warning",
                summary="Network errors above $threshold of packets",
                description="{{ $labels.device }} on {{ $labels.instance }} drops {{ $value | humanizePercentage }} "
                "of its packets on errors.",
                fixture=network,
            ),
        ]
