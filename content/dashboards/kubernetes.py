"""Kubernetes: cluster, nodes and workloads, from kube-state-metrics (object state) and the
kubelet's cAdvisor (container usage), the usual pair. Three dashboards in the Kubernetes
folder, linked to each other. Each query reads its metric from the job that exports it
(`kube_*` from kube-state-metrics, `container_*` from the cadvisor job), with that job's
selector, as the kubernetes integration's alerts do."""

from __future__ import annotations

from content.dashboards.common import (
    ORANGE,
    RED,
    Board,
    Context,
    Query,
    add,
    board,
    extra_variable,
    graph,
    make_uid,
    single,
)

CLUSTER, NODES, WORKLOADS = make_uid("k8s-cluster"), make_uid("k8s-nodes"), make_uid("k8s-workloads")
RELATED = [(CLUSTER, "Kubernetes cluster"), (NODES, "Kubernetes nodes"), (WORKLOADS, "Kubernetes workloads"),
           (make_uid("alerts"), "Alerts overview")]


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


KSM, CADVISOR = "kube-state-metrics", "cadvisor"  # the kubernetes integration's job names
READY = 'condition="Ready",status="true"'
RUNNING = 'phase="Running"'
PRESSURE = 'condition=~"MemoryPressure|DiskPressure|PIDPressure",status="true"'
NOT_READY = 'condition="false"'


def dashboards(ctx: Context) -> list[Board]:
    return [_cluster(ctx), _nodes(ctx), _workloads(ctx)]
