"""Linux hosts (node_exporter): CPU, load, memory, disk space and I/O, network, file systems.

Threshold lines sit at the levels of the node alerts the stack deploys (after `alertOverrides`),
and the file-system filter is the alerts' one, so the graph and the alert agree on what "full" means.
"""

from __future__ import annotations

from content.dashboards.common import ORANGE, Board, Context, Query, add, board, graph, make_uid, single
from content.integrations.node import FS_SELECTOR, cpu_utilisation, memory_utilisation

UID = make_uid("node")
TITLE = "Linux hosts"
# Interfaces of the host itself, not the virtual ones containers add.
NET_SELECTOR = 'device!~"lo|veth.*|docker.*|br-.*|virbr.*"'


def dashboards(ctx: Context) -> list[Board]:
    s = ctx.sel()
    fs = ctx.sel(FS_SELECTOR)
    net = ctx.sel(NET_SELECTOR)
    idle, not_idle = ctx.sel('mode="idle"'), ctx.sel('mode!="idle"')
    cores = f"count by (instance) (node_cpu_seconds_total{{{idle}}})"
    # The recording rules HostHighCpuLoad and HostOutOfMemory read (content/integrations/node.py).
    busy = f"max by (instance) ({cpu_utilisation(s)})"
    mem_used = f"max by (instance) ({memory_utilisation(s)})"
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

