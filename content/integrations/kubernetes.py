"""Cluster monitoring, on platform kubernetes only: kube-state-metrics (the state of every
object) with its RBAC, and scrape jobs that find their targets through the Kubernetes API:
the API server, every kubelet, cAdvisor through the kubelet, and the services and pods that
ask to be scraped with `prometheus.io/*` annotations. Its alerts take their selectors from
these jobs, as kubernetes-mixin's do, so the two cannot drift.

Dashboard: Kubernetes: cluster, nodes and workloads, from kube-state-metrics (object state) and the
kubelet's cAdvisor (container usage), the usual pair. Three dashboards in the Kubernetes
folder, linked to each other. Each query reads its metric from the job that exports it
(`kube_*` from kube-state-metrics, `container_*` from the cadvisor job), with that job's
selector, as the kubernetes integration's alerts do.
"""

from __future__ import annotations

from typing import Any, Optional

from config.exporters import ExporterSettings
from content.alert_factories import flag_alert, pair, ratio_alert, share, target_down
from content.dashboards.board import Board, add, board, extra_variable
from content.dashboards.context import ORANGE, RED, Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import Integration
from content.rules import Alert, Fixture, RuleGroup, Series, labels_of
from content.scrape import KUBERNETES_LABELS, ScrapeJob
from content.topology import Topology
from content.workload import SERVICE_ACCOUNT_DIR, AccessRule, Egress

# Prometheus' credentials for the API server and the kubelets, projected beside its config.
SA_TOKEN = f"{SERVICE_ACCOUNT_DIR}/token"
SA_CA = f"{SERVICE_ACCOUNT_DIR}/ca.crt"

# What kube-state-metrics watches: (API group, resource). Its --resources flag and its RBAC come
# from this one table. Secrets and ConfigMaps are left out on purpose: watching them would let
# the exporter read every credential in the cluster.
KSM_RESOURCES: tuple[tuple[str, str], ...] = (
    ("", "nodes"), ("", "pods"), ("", "services"), ("", "namespaces"), ("", "endpoints"),
    ("", "persistentvolumeclaims"), ("", "persistentvolumes"), ("", "resourcequotas"),
    ("", "replicationcontrollers"), ("", "limitranges"),
    ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("apps", "replicasets"),
    ("batch", "jobs"), ("batch", "cronjobs"),
    ("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
    ("storage.k8s.io", "storageclasses"), ("networking.k8s.io", "ingresses"),
)


def _grouped(resources: tuple[tuple[str, str], ...], verbs: tuple[str, ...]) -> tuple[AccessRule, ...]:
    groups: dict[str, list[str]] = {}
    for group, resource in resources:
        groups.setdefault(group, []).append(resource)
    return tuple(AccessRule(verbs=verbs, api_groups=(g,), resources=tuple(sorted(r))) for g, r in sorted(groups.items()))


# Thresholds, next to the alerts they drive (kubernetes-mixin's defaults).
VOLUME_FREE_WARNING = 0.15  # KubePersistentVolumeFillingUp warning: below 15% free
VOLUME_FREE_CRITICAL = 0.03  # ... critical: below 3% free, minutes from a full volume
VOLUME_FREE_CRITICAL_FOR = "1m"  # so little room left that waiting longer risks the volume filling first
KUBE_ALERT_FOR = "15m"  # long enough to ride out a rollout or a node's reboot
# Pressure clears as soon as the kubelet has evicted enough: five minutes of it is a node that
# stays short, not one eviction round.
NODE_PRESSURE_FOR = "5m"
VOLUME_FREE_FOR = "5m"  # free space changes slowly: five minutes rule out a transient dip


CLUSTER, NODES, WORKLOADS = make_uid("k8s-cluster"), make_uid("k8s-nodes"), make_uid("k8s-workloads")
RELATED = [(CLUSTER, "Kubernetes cluster"), (NODES, "Kubernetes nodes"), (WORKLOADS, "Kubernetes workloads"),
           (make_uid("alerts"), "Alerts overview")]
KSM, CADVISOR = "kube-state-metrics", "cadvisor"  # the kubernetes integration's job names
READY = 'condition="Ready",status="true"'
RUNNING = 'phase="Running"'
PRESSURE = 'condition=~"MemoryPressure|DiskPressure|PIDPressure",status="true"'
NOT_READY = 'condition="false"'


class Kubernetes(Integration):
    key = "kubernetes"
    title = "kube-state-metrics"
    port = 8080
    image = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.18.0"  # release notes, 2026-02
    layer = "infrastructure"
    has_wget = False  # distroless image
    health_path = "/healthz"
    platforms = ("kubernetes",)
    platform_note = "it reads the Kubernetes API; on Docker, node-exporter and cAdvisor watch the host"
    cluster_access = _grouped(KSM_RESOURCES, ("list", "watch"))
    prometheus_access = (
        AccessRule(verbs=("get", "list", "watch"), api_groups=("",),
                   resources=("endpoints", "nodes", "nodes/metrics", "pods", "services")),
        AccessRule(verbs=("get", "list", "watch"), api_groups=("discovery.k8s.io",), resources=("endpointslices",)),
        AccessRule(verbs=("get",), non_resource_urls=("/metrics", "/metrics/cadvisor")),
    )
    egress = Egress(cluster_api=True)

    @property
    def service(self) -> str:
        return "kube-state-metrics"

    @property
    def image_key(self) -> str:
        return "kube-state-metrics"

    def args(self, own: ExporterSettings) -> list[str]:
        resources = ",".join(sorted(r for _, r in KSM_RESOURCES))
        return [f"--port={self.port}", "--telemetry-port=8081", f"--resources={resources}"]

    def scrape_jobs(self, own: ExporterSettings, topology: Topology) -> list[ScrapeJob]:
        timing = {"interval": own.scrape_interval, "timeout": own.scrape_timeout}
        api_auth: dict[str, Any] = {"scheme": "https", "ca_file": SA_CA, "credentials_file": SA_TOKEN}
        # Kubelets serve self-signed certificates unless the cluster rotates serving certs.
        kubelet_auth = {**api_auth, "insecure_skip_verify": True}
        annotated = _annotated_relabels()
        return [
            # honor_labels: the series describe other objects; their namespace/pod labels win.
            ScrapeJob(name="kube-state-metrics", honor_labels=True, **timing,
                      **topology.scrape_targets(self.service, self.port, per_node=False)),
            ScrapeJob(name="apiserver", **timing, **api_auth,
                      kubernetes_sd=({"role": "endpoints", "namespaces": {"names": ["default"]}},),
                      relabel_configs=({"source_labels": ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name",
                                                          "__meta_kubernetes_endpoint_port_name"],
                                        "action": "keep", "regex": "default;kubernetes;https"},)),
            ScrapeJob(name="kubelet", honor_labels=True, **timing, **kubelet_auth,
                      kubernetes_sd=({"role": "node"},), relabel_configs=KUBERNETES_LABELS["node"]),
            ScrapeJob(name="cadvisor", metrics_path="/metrics/cadvisor", honor_labels=True, **timing, **kubelet_auth,
                      kubernetes_sd=({"role": "node"},), relabel_configs=KUBERNETES_LABELS["node"]),
            ScrapeJob(name="kubernetes-service-endpoints", **timing, kubernetes_sd=({"role": "endpoints"},),
                      relabel_configs=annotated("service") + KUBERNETES_LABELS["endpoints"]),
            ScrapeJob(name="kubernetes-pods", **timing, kubernetes_sd=({"role": "pod"},),
                      relabel_configs=annotated("pod") + KUBERNETES_LABELS["pod"]),
        ]

    def rule_groups(self, own: ExporterSettings, jobs: list[ScrapeJob]) -> list[RuleGroup]:
        by_name = {job.name: job for job in jobs}
        titles = {"kube-state-metrics": "kube-state-metrics", "apiserver": "Kubernetes API server",
                  "kubelet": "Kubelet", "cadvisor": "cAdvisor (kubelet)"}
        runbooks = {"kube-state-metrics": "kubestatemetricsdown", "apiserver": "apiserverdown",
                    "kubelet": "kubeletdown", "cadvisor": "cadvisordown"}
        down = tuple(target_down(name, by_name[name].selector, title, runbook=runbooks[name])
                     for name, title in titles.items())
        return [
            RuleGroup(name="kubernetes-targets", rules=down, layer=self.layer),
            RuleGroup(name="kubernetes-apps", rules=tuple(app_alerts(by_name["kube-state-metrics"].selector)),
                      layer=self.layer),
            RuleGroup(name="kubernetes-nodes", rules=tuple(node_alerts(by_name["kube-state-metrics"].selector,
                                                                       by_name["kubelet"].selector)),
                      layer=self.layer),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        return [_cluster(ctx), _nodes(ctx), _workloads(ctx)]


def _annotated_relabels():
    """Relabelling for targets that opt in with prometheus.io/scrape, /scheme, /path, /port
    annotations on their Service (role endpoints) or Pod (role pod)."""

    def build(kind: str) -> tuple[dict[str, Any], ...]:
        meta = f"__meta_kubernetes_{kind}_annotation_prometheus_io"
        return (
            {"source_labels": [f"{meta}_scrape"], "action": "keep", "regex": "true"},
            {"source_labels": [f"{meta}_scheme"], "action": "replace", "regex": "(https?)", "target_label": "__scheme__"},
            {"source_labels": [f"{meta}_path"], "action": "replace", "regex": "(.+)", "target_label": "__metrics_path__"},
            {"source_labels": ["__address__", f"{meta}_port"], "action": "replace",
             "regex": r"([^:]+)(?::\d+)?;(\d+)", "replacement": "$1:$2", "target_label": "__address__"},
        )

    return build


POD = {"namespace": "app", "pod": "api-1"}
DEPLOYMENT = {"namespace": "app", "deployment": "api"}
STATEFULSET = {"namespace": "app", "statefulset": "db"}
NODE = {"node": "node-1"}


def _gauges(selector: str, *series: tuple[str, dict[str, str], float, float]) -> Fixture:
    """Fixture of gauges: (metric, labels, value when firing, value when quiet) each."""

    def fixture(_threshold: Optional[float], fire: bool) -> list[Series]:
        return [Series(f"{metric}{labels_of(selector, **labels)}", firing if fire else quiet)
                for metric, labels, firing, quiet in series]

    return fixture


def _replicas_mismatch(ksm: str, kind: str, left: str, compare: str, right: str, labels: dict[str, str], *,
                       quiet: float, firing: float, description: str, firing_first: bool = False) -> Alert:
    """A workload whose replicas differ from the desired number while no rollout is moving it
    (its updated replicas unchanged for 10 minutes: a rollout in progress is not a mismatch).
    The fixture holds both sides at `quiet`, then the `right` one (or `left` with
    `firing_first`) at `firing`."""
    updated = f"kube_{kind.lower()}_status_replicas_updated"
    return Alert(
        name=f"Kube{kind}ReplicasMismatch", for_=KUBE_ALERT_FOR, severity="warning",
        expr=f"{left}{{{ksm}}} {compare} {right}{{{ksm}}} and changes({updated}{{{ksm}}}[10m]) == 0",
        fixture=_gauges(ksm, (left, labels, firing if firing_first else quiet, quiet),
                        (right, labels, quiet if firing_first else firing, quiet),
                        (updated, labels, quiet, quiet)),
        summary=f"{kind} has not matched its expected number of replicas",
        description=description,
    )


def app_alerts(ksm: str) -> list[Alert]:
    """Workload alerts on kube-state-metrics' series (selector `ksm`)."""
    return [
        Alert(name="KubePodCrashLooping", for_=KUBE_ALERT_FOR, severity="warning",
              expr=f'max_over_time(kube_pod_container_status_waiting_reason{{{ksm},reason="CrashLoopBackOff"}}[5m]) >= 1',
              fixture=_gauges(ksm, ("kube_pod_container_status_waiting_reason", POD | {"container": "api",
                              "reason": "CrashLoopBackOff"}, 1, 0)),
              summary="Pod is crash looping",
              description="Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} "
              "is in CrashLoopBackOff."),
        Alert(name="KubePodNotReady", for_=KUBE_ALERT_FOR, severity="warning",
              expr=f'sum by (namespace, pod) (kube_pod_status_phase{{{ksm},phase=~"Pending|Unknown|Failed"}}) > 0',
              fixture=_gauges(ksm, ("kube_pod_status_phase", POD | {"phase": "Pending"}, 1, 0),
                              ("kube_pod_status_phase", POD | {"phase": "Running"}, 0, 1)),
              summary="Pod has not been ready for 15 minutes",
              description="Pod {{ $labels.namespace }}/{{ $labels.pod }} has been in a non-ready state for 15 minutes."),
        _replicas_mismatch(
            ksm, "Deployment", "kube_deployment_spec_replicas", ">", "kube_deployment_status_replicas_available",
            DEPLOYMENT, quiet=3, firing=2,
            description="Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had fewer available "
            "replicas than desired for 15 minutes."),
        _replicas_mismatch(
            ksm, "StatefulSet", "kube_statefulset_status_replicas_ready", "!=", "kube_statefulset_replicas",
            STATEFULSET, quiet=3, firing=1, firing_first=True,
            description="StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has had "
            "{{ $value }} ready replicas, not the desired number, for 15 minutes."),
        Alert(name="KubeJobFailed", for_=KUBE_ALERT_FOR, severity="warning",
              expr=f"kube_job_failed{{{ksm}}} > 0",
              fixture=_gauges(ksm, ("kube_job_failed", {"namespace": "app", "job_name": "migrate"}, 1, 0)),
              summary="Job failed to complete",
              description="Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete; "
              "remove it to clear this alert."),
    ]


def node_alerts(ksm: str, kubelet: str) -> list[Alert]:
    """Node and volume alerts: node conditions from kube-state-metrics, volume stats from the kubelet."""
    claim = {"namespace": "app", "persistentvolumeclaim": "data-0"}
    free = share("kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes", kubelet,
                 series_labels=claim)
    filling = ratio_alert("KubePersistentVolumeFillingUp", free, above=False, threshold=VOLUME_FREE_WARNING,
                          for_=VOLUME_FREE_FOR, severity="warning",
                          summary="Persistent volume is filling up",
                          description="Volume claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has "
                          "{{ $value | humanizePercentage }} free.")
    return [
        flag_alert("KubeNodeNotReady", "kube_node_status_condition", ksm, KUBE_ALERT_FOR, "warning",
                   "Node is not ready", "{{ $labels.node }} has been unready for 15 minutes.",
                   filters=READY, **NODE, condition="Ready", status="true"),
        flag_alert("KubeNodePressure", "kube_node_status_condition", ksm, NODE_PRESSURE_FOR, "warning",
                   "Node is under resource pressure",
                   "{{ $labels.node }} reports {{ $labels.condition }}; the kubelet evicts pods from it.",
                   bad=1, filters=PRESSURE, **NODE, condition="MemoryPressure", status="true"),
        *pair(filling, critical=VOLUME_FREE_CRITICAL, critical_for=VOLUME_FREE_CRITICAL_FOR,
              summary="Persistent volume is almost full"),
    ]



def _cluster(ctx: Context) -> Board:
    ksm = ctx.only(KSM)
    s = ksm.sel()
    b = board(ctx, "k8s-cluster", "Kubernetes cluster", "The cluster at a glance: nodes, pods, how much of its "
              "capacity is requested, and what restarts.", "kubernetes", related=RELATED, uid=CLUSTER,
              tags=("kubernetes",))
    requested = _requested(ksm)
    return add(
        b,
        ("Overview", [
            single("Nodes ready", "Nodes whose Ready condition is true.", "short",
                   Query(f'sum(kube_node_status_condition{{{ksm.sel(READY)}}})')),
            single("Pods running", "Pods in phase Running.", "short",
                   Query(f'sum(kube_pod_status_phase{{{ksm.sel(RUNNING)}}})')),
            single("CPU requested", "CPU requests of all pods against the nodes' allocatable CPU.", "percentunit",
                   Query(requested["cpu"]), levels=[(0.8, ORANGE), (0.95, RED)]),
            single("Memory requested", "Memory requests against allocatable memory.", "percentunit",
                   Query(requested["memory"]), levels=[(0.8, ORANGE), (0.95, RED)]),
        ]),
        ("Workloads", [
            graph("Pods by phase", "Pods per phase; Pending that stays means unschedulable pods.", "short",
                  Query(f"sum by (phase) (kube_pod_status_phase{{{s}}})", "{{phase}}"), stacked=True),
            graph("Container restarts", "Container restarts per namespace over 15 minutes.", "short",
                  Query(f"sum by (namespace) (increase(kube_pod_container_status_restarts_total{{{s}}}[15m]))",
                        "{{namespace}}")),
            graph("Unavailable replicas", "Deployment replicas that are not available, per namespace.", "short",
                  Query(f"sum by (namespace) (kube_deployment_status_replicas_unavailable{{{s}}})", "{{namespace}}")),
            graph("Capacity requested", "Requests against allocatable, CPU and memory.", "percentunit",
                  Query(requested["cpu"], "cpu"), Query(requested["memory"], "memory"),
                  levels=[(0.8, ORANGE), (0.95, RED)], max_value=1),
        ]),
    )


def _requested(ctx: Context) -> dict[str, str]:
    out = {}
    for resource in ("cpu", "memory"):
        sel = ctx.sel(f'resource="{resource}"')
        out[resource] = (f"sum(kube_pod_container_resource_requests{{{sel}}})"
                         f" / sum(kube_node_status_allocatable{{{sel}}})")
    return out


def _nodes(ctx: Context) -> Board:
    ksm = ctx.only(KSM)
    s = ksm.sel()
    b = board(ctx, "k8s-nodes", "Kubernetes nodes", "Each node: conditions, pods against capacity, requests "
              "against allocatable.", "kubernetes", related=RELATED, uid=NODES, tags=("kubernetes",))
    per_node = {resource: ksm.sel(f'resource="{resource}"') for resource in ("cpu", "memory", "pods")}
    return add(
        b,
        ("Conditions", [
            single("Nodes not ready", "Nodes whose Ready condition is not true.", "short",
                   Query(f"count(kube_node_status_condition{{{ksm.sel(READY)}}} == 0) or vector(0)"),
                   levels=[(1, RED)]),
            single("Nodes under pressure", "Nodes reporting memory, disk or PID pressure.", "short",
                   Query(f"count(kube_node_status_condition{{{ksm.sel(PRESSURE)}}} == 1) or vector(0)"),
                   levels=[(1, ORANGE)]),
            single("Unschedulable nodes", "Nodes cordoned (spec.unschedulable).", "short",
                   Query(f"sum(kube_node_spec_unschedulable{{{s}}})"), levels=[(1, ORANGE)]),
        ]),
        ("Capacity per node", [
            graph("Pods per node", "Pods scheduled on each node against its pod capacity.", "percentunit",
                  Query(f"count by (node) (kube_pod_info{{{s}}}) / on (node) sum by (node) "
                        f"(kube_node_status_capacity{{{per_node['pods']}}})", "{{node}}"),
                  levels=[(0.9, ORANGE)], max_value=1),
            graph("CPU requested per node", "CPU requests of the node's pods against its allocatable CPU.",
                  "percentunit",
                  Query(f"sum by (node) (kube_pod_container_resource_requests{{{per_node['cpu']}}}) / on (node) "
                        f"sum by (node) (kube_node_status_allocatable{{{per_node['cpu']}}})", "{{node}}"),
                  levels=[(0.9, ORANGE)], max_value=1),
            graph("Memory requested per node", "Memory requests of the node's pods against its allocatable "
                  "memory.", "percentunit",
                  Query(f"sum by (node) (kube_pod_container_resource_requests{{{per_node['memory']}}}) / on (node) "
                        f"sum by (node) (kube_node_status_allocatable{{{per_node['memory']}}})", "{{node}}"),
                  levels=[(0.9, ORANGE)], max_value=1),
        ]),
    )


def _workloads(ctx: Context) -> Board:
    ksm = ctx.only(KSM)
    ns = ksm.sel('namespace=~"$namespace"')
    containers = ctx.only(CADVISOR).sel('namespace=~"$namespace"', 'container!=""', 'container!="POD"')
    not_ready = ksm.sel('namespace=~"$namespace"', NOT_READY)
    rate = "[$__rate_interval]"
    b = board(ctx, "k8s-workloads", "Kubernetes workloads", "Pods of the chosen namespaces: usage, restarts, "
              "readiness and why containers wait.", "kubernetes", related=RELATED, uid=WORKLOADS,
              tags=("kubernetes",))
    extra_variable(b, "namespace", "Namespace", f"label_values(kube_pod_info{{{ksm.base},{ksm.stack}}}, namespace)",
                   "Kubernetes namespaces to show.")
    return add(
        b,
        ("Usage", [
            graph("CPU by pod", "Cores used per pod.", "short",
                  Query(f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{{{containers}}}{rate}))",
                        "{{namespace}}/{{pod}}")),
            graph("Memory by pod", "Working set per pod.", "bytes",
                  Query(f"sum by (namespace, pod) (container_memory_working_set_bytes{{{containers}}})",
                        "{{namespace}}/{{pod}}")),
        ]),
        ("Health", [
            graph("Restarts by pod", "Container restarts over 15 minutes.", "short",
                  Query(f"sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{{{ns}}}[15m])) > 0",
                        "{{namespace}}/{{pod}}")),
            graph("Pods not ready", "Pods whose Ready condition is false.", "short",
                  Query(f"sum by (namespace) (kube_pod_status_ready{{{not_ready}}})", "{{namespace}}")),
            graph("Containers waiting", "Containers waiting, by reason (CrashLoopBackOff, ImagePullBackOff...).",
                  "short",
                  Query(f"sum by (reason) (kube_pod_container_status_waiting_reason{{{ns}}})", "{{reason}}"),
                  stacked=True),
            graph("Deployment replicas", "Available against desired replicas per deployment.", "short",
                  Query(f"sum by (namespace, deployment) (kube_deployment_status_replicas_available{{{ns}}})",
                        "{{namespace}}/{{deployment}} available"),
                  Query(f"sum by (namespace, deployment) (kube_deployment_spec_replicas{{{ns}}})",
                        "{{namespace}}/{{deployment}} desired")),
        ]),
    )
