"""Linux hosts through node_exporter, reading the host's file systems and processes.

Thresholds are the defaults of this integration; a stack changes any of them per alert
and severity with `alertOverrides`.

Dashboard: Linux hosts (node_exporter): CPU, load, memory, disk space and I/O, network, file systems.

Threshold lines sit at the levels of the node alerts the stack deploys (after `alertOverrides`),
and the file-system filter is the alerts' one, so the graph and the alert agree on what "full" means.
"""

from __future__ import annotations

from config.exporters import ExporterSettings
from content.alert_factories import Ratio, busy_share, flag_alert, gauge_alert, pair, ratio_alert, share
from content.dashboards.board import Board, add, board
from content.dashboards.context import ORANGE, Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import Integration
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob
from content.workload import HostAccess

# File systems that fill or turn read-only by design are left out of the disk alerts.
FS_SELECTOR = 'fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs",mountpoint!~"/(run|boot|var/lib/docker/.+)($|/.*)"'
# Default thresholds (a stack moves any of them with `alertOverrides`); the dashboard draws its
# lines at the deployed alerts' levels.
# HostHighCpuLoad: 90% busy for 10 minutes leaves no headroom for a burst; short peaks are normal.
CPU_BUSY_ABOVE = 0.9
CPU_BUSY_FOR = "10m"
# HostOutOfMemory: under 10% available the kernel reclaims page cache hard and the OOM killer
# is near (memory use above 1 - this). Memory runs out faster than CPU time: five minutes.
MEMORY_AVAILABLE_BELOW = 0.1
MEMORY_FOR = "5m"
# HostDiskSpaceLow: 15% free is days of ordinary growth to act in; at 5% free, hours, so the
# critical variant waits less.
DISK_FREE_BELOW = 0.15
DISK_FREE_FOR = "10m"
DISK_FREE_CRITICAL_BELOW = 0.05
DISK_FREE_CRITICAL_FOR = "5m"
# HostDiskWillFillIn24Hours: only file systems already below 40% free (a nearly empty disk
# that grows fast is no emergency), and the prediction must hold for an hour, so a log
# rotation or a temporary file does not page.
DISK_FILLS_FREE_BELOW = 0.4
DISK_FILLS_FOR = "1h"
# HostDiskIoSaturated: an average I/O queue above 10 requests makes every read wait behind
# others; backups and batch jobs do that for minutes by design, not for half an hour.
DISK_QUEUE_ABOVE = 10
DISK_QUEUE_FOR = "30m"
# HostFilesystemReadOnly: a remount for maintenance takes less than five minutes.
READ_ONLY_FOR = "5m"
# HostClockSkew: 50 ms off breaks the ordering of logs and traces across hosts, well before
# TLS or Kerberos notice; NTP corrects a small step within minutes.
CLOCK_SKEW_ABOVE = 0.05
CLOCK_SKEW_FOR = "10m"
# HostNetworkErrors: 1% of packets with errors is a bad cable, NIC or driver, not congestion.
NETWORK_ERRORS_ABOVE = 0.01
NETWORK_ERRORS_FOR = "10m"


def cpu_busy(sel: str) -> Ratio:
    """Share of CPU time not idle, per host (0..1), averaged over its cores; recorded."""
    return busy_share("instance:node_cpu_utilisation:rate5m", "node_cpu_seconds_total", sel, "cpu", "0")


def memory_used(sel: str) -> Ratio:
    """Share of memory in use (0..1): what is not available to new allocations; recorded."""

    def inputs(used: float) -> list[Series]:
        return [Series(f"node_memory_MemTotal_bytes{labels_of(sel)}", 1000),
                Series(f"node_memory_MemAvailable_bytes{labels_of(sel)}", 1000 * (1 - used))]

    return Ratio(f"1 - node_memory_MemAvailable_bytes{{{sel}}} / node_memory_MemTotal_bytes{{{sel}}}", inputs,
                 "instance:node_memory_utilisation:ratio", sel)


UID = make_uid("node")
TITLE = "Linux hosts"
# Interfaces of the host itself, not the virtual ones containers add.
NET_SELECTOR = 'device!~"lo|veth.*|docker.*|br-.*|virbr.*"'


class Node(Integration):
    key = "node"
    title = "Node exporter"
    port = 9100
    image = "quay.io/prometheus/node-exporter:v1.12.1"  # Go proxy, 2026-07-14
    layer = "infrastructure"
    # As upstream runs it: the host's root read-only, its process table, and (Kubernetes) its network.
    host_access = HostAccess(mounts=(("/", "/host"),), pid_host=True, host_network=True)

    def args(self, own: ExporterSettings) -> list[str]:
        # systemd is not reachable from a container; the host's root is mounted at /host.
        return ["--path.rootfs=/host", "--no-collector.systemd"]

    def recording_rules(self, own: ExporterSettings, job: ScrapeJob) -> list[Recording]:
        return [cpu_busy(job.selector).recording, memory_used(job.selector).recording]

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        fs = f"{sel},{FS_SELECTOR}"
        disk = {"device": "sda1", "fstype": "ext4", "mountpoint": "/"}

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

        space = share("node_filesystem_avail_bytes", "node_filesystem_size_bytes", sel, filters=FS_SELECTOR,
                      series_labels=disk)
        return [
            ratio_alert(
                "HostHighCpuLoad", cpu_busy(sel), threshold=CPU_BUSY_ABOVE, for_=CPU_BUSY_FOR, severity="warning",
                summary="Host CPU busier than $threshold",
                description="CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy.",
            ),
            ratio_alert(
                "HostOutOfMemory", memory_used(sel), threshold=round(1 - MEMORY_AVAILABLE_BELOW, 6), for_=MEMORY_FOR,
                severity="warning",
                summary="Host memory use above $threshold",
                description="{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory.",
            ),
            *pair(ratio_alert(
                "HostDiskSpaceLow", space, above=False, threshold=DISK_FREE_BELOW, for_=DISK_FREE_FOR, severity="warning",
                summary="File system below $threshold free",
                description="{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} free.",
            ), critical=DISK_FREE_CRITICAL_BELOW, critical_for=DISK_FREE_CRITICAL_FOR),
            Alert(
                name="HostDiskWillFillIn24Hours",
                expr=(f"predict_linear(node_filesystem_avail_bytes{{{fs}}}[6h], 24 * 3600) < 0"
                      f" and node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < {DISK_FILLS_FREE_BELOW}"),
                for_=DISK_FILLS_FOR, severity="warning",
                summary="File system predicted full within 24 hours",
                description="At the rate of the last 6 hours, {{ $labels.mountpoint }} on {{ $labels.instance }} "
                "fills up within a day.",
                fixture=fills,
            ),
            Alert(
                name="HostDiskIoSaturated",
                expr=f"rate(node_disk_io_time_weighted_seconds_total{{{sel}}}[5m]) > $threshold",
                threshold=DISK_QUEUE_ABOVE, threshold_kind="count", for_=DISK_QUEUE_FOR, severity="warning",
                summary="Disk I/O queue above $threshold",
                description="{{ $labels.device }} on {{ $labels.instance }} has an average I/O queue of "
                "{{ $value | humanize }}: requests wait.",
                fixture=lambda t, fire: [Series(f"node_disk_io_time_weighted_seconds_total{labels_of(sel, device='sda')}",
                                                t * (2 if fire else 0.5), rate=True)],
            ),
            flag_alert(
                "HostFilesystemReadOnly", "node_filesystem_readonly", sel, READ_ONLY_FOR, "critical",
                "File system is read-only",
                "{{ $labels.mountpoint }} on {{ $labels.instance }} turned read-only (often a disk error).",
                bad=1, filters=FS_SELECTOR, **disk,
            ),
            gauge_alert(
                "HostClockSkew", "node_timex_offset_seconds", sel, around="abs({})", threshold=CLOCK_SKEW_ABOVE,
                threshold_kind="seconds", for_=CLOCK_SKEW_FOR, severity="warning",
                summary="Host clock off by more than $threshold s",
                description="The clock of {{ $labels.instance }} is {{ $value | humanizeDuration }} off: check NTP.",
            ),
            Alert(
                name="HostNetworkErrors",
                expr=(f"(rate(node_network_receive_errs_total{{{sel}}}[5m])"
                      f" + rate(node_network_transmit_errs_total{{{sel}}}[5m]))"
                      f" / (rate(node_network_receive_packets_total{{{sel}}}[5m])"
                      f" + rate(node_network_transmit_packets_total{{{sel}}}[5m])) > $threshold"),
                threshold=NETWORK_ERRORS_ABOVE, threshold_kind="ratio", for_=NETWORK_ERRORS_FOR, severity="warning",
                summary="Network errors above $threshold of packets",
                description="{{ $labels.device }} on {{ $labels.instance }} drops {{ $value | humanizePercentage }} "
                "of its packets on errors.",
                fixture=network,
            ),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        fs = ctx.sel(FS_SELECTOR)
        net = ctx.sel(NET_SELECTOR)
        idle, not_idle = ctx.sel('mode="idle"'), ctx.sel('mode!="idle"')
        cores = f"count by (instance) (node_cpu_seconds_total{{{idle}}})"
        # The recording rules HostHighCpuLoad and HostOutOfMemory read (content/integrations/node.py).
        busy = f"max by (instance) ({cpu_busy(s).query})"
        mem_used = f"max by (instance) ({memory_used(s).query})"
        fs_used = f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}"
        cpu_level = ctx.lines("HostHighCpuLoad")
        mem_level = ctx.lines("HostOutOfMemory")
        # HostDiskSpaceLow fires on the free share; the panels show the used one.
        disk_level = ctx.lines("HostDiskSpaceLow", complement=True)

        b = board(ctx, "node", TITLE, "Linux host overview from node_exporter: saturation and errors of CPU, "
                  "memory, disks, network and file systems per instance.", "infrastructure",
                  related=[(make_uid("cadvisor"), "Containers"), (make_uid("alerts"), "Alerts overview")],
                  tags=("hosts", "linux"))
        return [add(
            b,
            ("Overview", [
                single("Uptime", "Time since the host booted (node_boot_time_seconds).", "s",
                       Query(f"time() - max by (instance) (node_boot_time_seconds{{{s}}})", "{{instance}}"),
                       levels=[(300, "green")], base=ORANGE),
                single("CPU busy", "Share of CPU time not idle, all cores, as HostHighCpuLoad reads it.", "percentunit",
                       Query(busy, "{{instance}}"), levels=cpu_level),
                single("Memory used", "1 - MemAvailable / MemTotal, as HostOutOfMemory reads it.", "percentunit",
                       Query(mem_used, "{{instance}}"), levels=mem_level),
                single("Fullest file system", "Used share of the fullest real file system (HostDiskSpaceLow fires "
                       "on its free share).", "percentunit",
                       Query(f"max by (instance) ({fs_used})", "{{instance}}"), levels=disk_level),
            ]),
            ("CPU and load", [
                graph("CPU usage by mode", "Share of all cores spent in each mode except idle (stacked): "
                      "high iowait points at disks, high steal at a noisy hypervisor.", "percentunit",
                      Query(f"sum by (instance, mode) (rate(node_cpu_seconds_total{{{not_idle}}}"
                            f"[$__rate_interval])) / on (instance) group_left {cores}", "{{instance}} {{mode}}"),
                      stacked=True, max_value=1),
                graph("Load per core", "1, 5 and 15 minute load averages divided by the number of cores; "
                      "above 1 means runnable tasks wait for a CPU.", "short",
                      Query(f"max by (instance) (node_load1{{{s}}}) / {cores}", "{{instance}} 1m"),
                      Query(f"max by (instance) (node_load5{{{s}}}) / {cores}", "{{instance}} 5m"),
                      Query(f"max by (instance) (node_load15{{{s}}}) / {cores}", "{{instance}} 15m"),
                      levels=[(1, ORANGE)]),
            ]),
            ("Memory", [
                graph("Memory", "Used (total minus available), page cache and buffers, against the total.", "bytes",
                      Query(f"sum by (instance) (node_memory_MemTotal_bytes{{{s}}} - node_memory_MemAvailable_bytes{{{s}}})",
                            "{{instance}} used"),
                      Query(f"sum by (instance) (node_memory_Cached_bytes{{{s}}} + node_memory_Buffers_bytes{{{s}}})",
                            "{{instance}} cache+buffers"),
                      Query(f"sum by (instance) (node_memory_MemTotal_bytes{{{s}}})", "{{instance}} total")),
                graph("Memory pressure", "Major page faults per second (pages read back from disk) and swap "
                      "traffic; sustained values mean the host is short of memory.", "ops",
                      Query(f"sum by (instance) (rate(node_vmstat_pgmajfault{{{s}}}[$__rate_interval]))",
                            "{{instance}} major faults"),
                      Query(f"sum by (instance) (rate(node_vmstat_pswpin{{{s}}}[$__rate_interval])"
                            f" + rate(node_vmstat_pswpout{{{s}}}[$__rate_interval]))", "{{instance}} swap pages")),
            ]),
            ("Disk space and I/O", [
                graph("File system used", "Used share per mount point (real file systems only).", "percentunit",
                      Query(fs_used, "{{instance}} {{mountpoint}}"), levels=disk_level, max_value=1),
                graph("Disk throughput", "Bytes read (positive) and written per second per device.", "Bps",
                      Query(f"sum by (instance, device) (rate(node_disk_read_bytes_total{{{s}}}[$__rate_interval]))",
                            "{{instance}} {{device}} read"),
                      Query(f"sum by (instance, device) (rate(node_disk_written_bytes_total{{{s}}}[$__rate_interval]))",
                            "{{instance}} {{device}} written")),
                graph("Disk utilisation", "Share of time each device was busy with I/O; near 100% the device "
                      "is saturated.", "percentunit",
                      Query(f"rate(node_disk_io_time_seconds_total{{{s}}}[$__rate_interval])", "{{instance}} {{device}}"),
                      max_value=1),
                graph("Disk IOPS", "Reads and writes completed per second per device.", "iops",
                      Query(f"sum by (instance, device) (rate(node_disk_reads_completed_total{{{s}}}[$__rate_interval])"
                            f" + rate(node_disk_writes_completed_total{{{s}}}[$__rate_interval]))",
                            "{{instance}} {{device}}")),
            ]),
            ("Network", [
                graph("Network traffic", "Bytes received and sent per second on the host's own interfaces.", "Bps",
                      Query(f"sum by (instance, device) (rate(node_network_receive_bytes_total{{{net}}}[$__rate_interval]))",
                            "{{instance}} {{device}} in"),
                      Query(f"sum by (instance, device) (rate(node_network_transmit_bytes_total{{{net}}}[$__rate_interval]))",
                            "{{instance}} {{device}} out")),
                graph("Network errors and drops", "Packets per second received or sent with errors, or dropped.", "pps",
                      Query(f"sum by (instance) (rate(node_network_receive_errs_total{{{net}}}[$__rate_interval])"
                            f" + rate(node_network_transmit_errs_total{{{net}}}[$__rate_interval]))", "{{instance}} errors"),
                      Query(f"sum by (instance) (rate(node_network_receive_drop_total{{{net}}}[$__rate_interval])"
                            f" + rate(node_network_transmit_drop_total{{{net}}}[$__rate_interval]))", "{{instance}} drops")),
            ]),
            ("File systems", [
                graph("Inodes used", "Used share of inodes per mount point: a disk with free bytes but no inodes "
                      "is full all the same.", "percentunit",
                      Query(f"1 - node_filesystem_files_free{{{fs}}} / node_filesystem_files{{{fs}}}",
                            "{{instance}} {{mountpoint}}"), max_value=1),
                graph("Open file descriptors", "Allocated file handles against the kernel maximum.", "percentunit",
                      Query(f"max by (instance) (node_filefd_allocated{{{s}}}) / max by (instance) (node_filefd_maximum{{{s}}})",
                            "{{instance}}"), max_value=1),
                graph("Read-only file systems", "Mount points the kernel switched to read-only (1), usually after "
                      "disk errors.", "short",
                      Query(f"max by (instance, mountpoint) (node_filesystem_readonly{{{fs}}})", "{{instance}} {{mountpoint}}"),
                      levels=[(1, "red")]),
            ]),
        )]
