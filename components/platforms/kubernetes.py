"""The Kubernetes platform (pulumi-kubernetes): an explicit provider from stack config, a
namespace, and per service a ConfigMap of its files, a Secret (or an ExternalSecret) of its
credentials, a ServiceAccount with the RBAC its plan asks for, the workload (StatefulSet,
Deployment or DaemonSet), its Services and NetworkPolicy; an Ingress and disruption budgets
where configured. The objects themselves are built by the pure functions of `kube/`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.platforms import stack_wide_options
from components.platforms.digest import DIGEST_KEY_SECRET, files_digest, secrets_digest
from components.platforms.kube import network, rbac
from components.platforms.kube.bundles import Bundle, config_bundles
from components.platforms.kube.pods import (
    CONFIG_CHECKSUM,
    SECRETS_CHECKSUM,
    SERVICE_ACCOUNT_FILES,
    bundle_annotations,
    labels,
    object_key,
    pod_spec,
    selector_labels,
)
from config.settings import KubernetesSettings, Settings
from config.units import volume_quantity
from content.service_plan import SecretFile, ServicePlan, StackPlan
from content.topology import INTERNAL_PORTS, UI_SERVICES, Topology

EXTERNAL_SECRETS_API = "external-secrets.io/v1"
# What a rendered Secret holds instead of a credential: render-to-directory writes Secrets in
# plaintext, so the program never hands it a real value.
RENDER_PLACEHOLDER = "REPLACE-ME-{key}"
# The provider returns as soon as an object so annotated is applied, without awaiting readiness.
SKIP_AWAIT = "pulumi.com/skipAwait"


@dataclass(frozen=True)
class KubernetesArgs:
    """What the Kubernetes platform reads of a stack, and nothing more."""

    environment: str
    """The `monstack.dev/environment` label of the namespace and of every object's pods."""
    cluster: str
    """The namespace's `monstack.dev/cluster` label."""
    protect_data: bool
    """The namespace and the volume claims refuse deletion and outlive `pulumi destroy`."""
    kubernetes: KubernetesSettings
    """The stack's `kubernetes` block: cluster target, namespace, storage, Ingress, secret store, awaiting."""
    privileged: bool
    """Some service needs the host (node-exporter): the namespace then enforces Pod Security
    `privileged`, and `restricted` only audits and warns."""
    ingress_routes: tuple[tuple[str, str], ...] = ()
    """(service, path prefix) of each UI the Ingress serves, in order."""
    ingress_host: Optional[str] = None
    """The host the Ingress serves: `kubernetes.ingress.host`, else the host of exposure.publicUrl."""

    @classmethod
    def of(cls, settings: Settings, topology: Topology, plan: StackPlan) -> KubernetesArgs:
        """The values of `settings`, `topology` and the stack's `plan` the platform uses."""
        k8s_settings = settings.kubernetes_settings
        ingress = k8s_settings.ingress
        uis = {s.name for s in plan.services if s.ui}
        return cls(
            environment=settings.environment,
            cluster=settings.cluster,
            protect_data=settings.protect_data,
            kubernetes=k8s_settings,
            privileged=any(s.host_access for s in plan.services),
            ingress_routes=tuple((service, topology.route_prefix(service)) for service in UI_SERVICES if service in uis),
            ingress_host=(ingress.host or (settings.exposure.public_url or "").split("://", 1)[1]) if ingress else None,
        )


class KubernetesPlatform(pulumi.ComponentResource):
    """An explicit provider, the namespace and its stack-wide policies (and the Ingress), then
    each service's objects through `run`."""

    network_name: pulumi.Output[str]
    """The namespace the services run in."""

    def __init__(self, name: str, args: KubernetesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("monstack:platform:Kubernetes", name, None, opts)
        self.args = args
        self.k8s = args.kubernetes
        self.environment = args.environment
        self.namespace_name = self.k8s.namespace
        self.rendering = self.k8s.render_yaml_to is not None
        # Stack-wide resources are children of the platform, aliased to where they were declared
        # before the platform became a component, so existing stacks keep them.
        stack_wide = stack_wide_options(self, opts)
        # Render mode touches no cluster, and the provider refuses `context` and `kubeconfig` next
        # to `renderYamlToDirectory`: the stack's cluster target applies only when applying. The
        # empty kubeconfig keeps the SDK from filling in $KUBECONFIG.
        cluster = {"kubeconfig": ""} if self.rendering else {"kubeconfig": self.k8s.kubeconfig, "context": self.k8s.context}
        self.provider = k8s.Provider(
            f"{name}-kubernetes",
            **cluster,
            namespace=self.namespace_name,
            render_yaml_to_directory=self.k8s.render_yaml_to,
            enable_server_side_apply=True,
            # Files and credentials keep their names and change in place; the pod template's
            # checksums roll the pods. (By default the provider replaces a ConfigMap or Secret on
            # any change: delete, then create under the same name.)
            enable_config_map_mutable=True,
            enable_secret_mutable=True,
            opts=stack_wide,
        )
        if self.rendering and not self.k8s.external_secrets:
            pulumi.log.warn(
                f"kubernetes.renderYamlTo={self.k8s.render_yaml_to}: rendered Secret manifests are plaintext files, so "
                f"they hold placeholders ({RENDER_PLACEHOLDER.format(key='<key>')}), not this stack's secrets. Create "
                "the real Secrets in the cluster before applying, or set kubernetes.externalSecrets."
            )
        # Every object goes through the stack's own provider (never the ambient cluster).
        in_cluster = pulumi.ResourceOptions.merge(stack_wide, pulumi.ResourceOptions(provider=self.provider))
        protect = args.protect_data
        # Deleting the namespace deletes its volume claims: it is protected with the data.
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": self.namespace_name, "labels": {
                "app.kubernetes.io/part-of": "monstack",
                "monstack.dev/environment": self.environment,
                "monstack.dev/cluster": args.cluster,
                # Per-node exporters need host namespaces and hostPath, which only `privileged` admits;
                # everything else is held to `restricted` by the audit and warn modes.
                "pod-security.kubernetes.io/enforce": "privileged" if args.privileged else "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            }},
            opts=pulumi.ResourceOptions.merge(in_cluster, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)),
        )
        self.network_name = self.namespace.metadata.apply(lambda m: m["name"])
        # The namespace's objects are created after it.
        self._in_namespace = pulumi.ResourceOptions(provider=self.provider, depends_on=[self.namespace])
        stack_objects = pulumi.ResourceOptions.merge(in_cluster, self._in_namespace)
        self._declare(f"{name}-deny-all", "default-deny", network.default_deny(), stack_objects,
                      k8s.networking.v1.NetworkPolicy)
        self._declare(f"{name}-allow-dns", "allow-dns", network.allow_dns(), stack_objects,
                      k8s.networking.v1.NetworkPolicy)
        if self.k8s.ingress:
            self._ingress(name, stack_objects)
        self.register_outputs({"network_name": self.network_name})

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _with(opts: pulumi.ResourceOptions, **extra: Any) -> pulumi.ResourceOptions:
        """`opts` (parent, provider, the namespace to wait for) plus one object's own options
        (more dependencies, protect)."""
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(**extra)) if extra else opts

    def _metadata(self, name: str, plan: Optional[ServicePlan] = None, annotations: Optional[dict] = None,
                  namespaced: bool = True) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace_name
        meta["labels"] = labels(plan, self.environment) if plan else {"app.kubernetes.io/part-of": "monstack"}
        if self.k8s.skip_await:
            annotations = {SKIP_AWAIT: "true", **(annotations or {})}
        if annotations:
            meta["annotations"] = annotations
        return meta

    def _declare(self, rname: str, name: str, spec: dict, opts: pulumi.ResourceOptions, cls: Any,
                 plan: Optional[ServicePlan] = None) -> Any:
        return cls(rname, metadata=self._metadata(name, plan), spec=spec, opts=opts)

    # -- stack-wide ----------------------------------------------------------------------

    def _ingress(self, name: str, opts: pulumi.ResourceOptions) -> None:
        ingress = self.k8s.ingress
        assert ingress is not None
        host = self.args.ingress_host
        annotations = {}
        secret_name = ingress.tls_secret
        if ingress.cert_manager_issuer:
            key = "cluster-issuer" if ingress.cert_manager_issuer_kind == "ClusterIssuer" else "issuer"
            annotations[f"cert-manager.io/{key}"] = ingress.cert_manager_issuer
            secret_name = f"{self.namespace_name}-ingress-tls"  # cert-manager writes the certificate here
        paths = [{
            "path": prefix,
            "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": {"number": INTERNAL_PORTS[service]}}},
        } for service, prefix in self.args.ingress_routes]
        k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=self._metadata("monstack", annotations=annotations or None),
            spec={"ingressClassName": ingress.class_name,
                  "tls": [{"hosts": [host], "secretName": secret_name}],
                  "rules": [{"host": host, "http": {"paths": paths}}]},
            opts=opts,
        )

    # -- per service ---------------------------------------------------------------------

    def run(self, name: str, plan: ServicePlan, secrets: Mapping[str, pulumi.Output[str]],
            opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        """Declare the service's objects, named `<name>-...`, with `opts` (the service component as
        parent) and the platform's provider, after the namespace."""
        rname, child = name, pulumi.ResourceOptions.merge(opts, self._in_namespace)
        bundles, config_maps = self._config_maps(rname, plan, child)
        secret_name, secret_digest = self._secret(rname, plan, secrets, child)
        self._access(rname, plan, child)
        claim = "data" if plan.data_path else None
        shared_claim = self._shared_claim(rname, plan, child) if plan.data_path and not plan.data_per_replica else None
        spec = pod_spec(plan, self.environment, bundles, secret_name, claim, shared_claim)
        # Every projected file counts, each Grafana folder's dashboards included: a change rolls the pods.
        checksums: dict[str, Any] = {CONFIG_CHECKSUM: files_digest(plan)}
        if secret_digest is not None:
            checksums[SECRETS_CHECKSUM] = secret_digest
        template = {"metadata": {"labels": labels(plan, self.environment), "annotations": checksums}, "spec": spec}
        selector = {"matchLabels": selector_labels(plan, self.environment)}
        workload = self._workload(rname, plan, template, selector, child, depends_on=config_maps)
        self._services(rname, plan, child)
        ingress_ns = self.k8s.ingress.controller_namespace if self.k8s.ingress else None
        self._declare(f"{rname}-netpol", plan.name,
                      network.service_policy(plan, self.environment, ingress_ns), child,
                      k8s.networking.v1.NetworkPolicy, plan)
        if self.k8s.pod_disruption_budgets and plan.replicas > 1:
            # Only where a peer keeps serving: a budget on one replica would block every drain.
            self._declare(f"{rname}-pdb", plan.name,
                          {"maxUnavailable": 1, "selector": selector}, child,
                          k8s.policy.v1.PodDisruptionBudget, plan)
        return workload

    def _config_maps(self, rname: str, plan: ServicePlan, opts: pulumi.ResourceOptions
                     ) -> tuple[list[Bundle], list[pulumi.Resource]]:
        """The service's plain files in ConfigMaps (one, or one per Grafana folder and more where
        the size limit demands: kube.bundles), and the objects, which the workload waits for."""
        bundles = config_bundles(plan)
        cluster_files = sorted(SERVICE_ACCOUNT_FILES.values()) if plan.token_files else None
        objects: list[pulumi.Resource] = []
        for i, bundle in enumerate(bundles):
            objects.append(k8s.core.v1.ConfigMap(
                f"{rname}-{bundle.name.removeprefix(plan.name + '-')}",
                metadata=self._metadata(bundle.name, plan, bundle_annotations(
                    plan, list(bundle.paths), cluster_files if i == 0 else None)),
                data={object_key(path): plan.files[path] for path in bundle.paths},
                opts=opts,
            ))
        return bundles, objects

    def _secret_values(self, secret: SecretFile, secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
        if self.rendering:
            return pulumi.Output.from_input(secret.render(*(RENDER_PLACEHOLDER.format(key=k) for k in secret.keys)))
        values = [secrets[key] for key in secret.keys]
        return pulumi.Output.secret(pulumi.Output.all(*values).apply(lambda v: secret.render(*v)))

    def _secret(self, rname: str, plan: ServicePlan, secrets: Mapping[str, pulumi.Output[str]],
                opts: pulumi.ResourceOptions) -> tuple[Optional[str], Optional[pulumi.Output[str]]]:
        """The service's credentials as files (and the odd environment variable), from Pulumi
        secrets, placeholders (render mode) or an external store; and a digest that rolls the
        pods when they change (None when the store, not the program, holds the values)."""
        if not plan.secret_files and not plan.secret_env:
            return None, None
        name = f"{plan.name}-secrets"
        paths = [s.path for s in plan.secret_files]
        annotations = bundle_annotations(plan, paths)
        env_files = {f"env-{var}": SecretFile(f"env-{var}", (key,), lambda v: v) for var, key in plan.secret_env.items()}
        files = {object_key(s.path): s for s in plan.secret_files} | env_files
        store = self.k8s.external_secrets
        if store:
            keys = sorted({key for f in files.values() for key in f.keys})
            k8s.apiextensions.CustomResource(
                f"{rname}-external-secret",
                api_version=EXTERNAL_SECRETS_API, kind="ExternalSecret",
                metadata=self._metadata(name, plan, annotations),
                spec={
                    "refreshInterval": store.refresh_interval,
                    "secretStoreRef": {"name": store.store_name, "kind": store.store_kind},
                    "target": {"name": name, "creationPolicy": "Owner", "template": {
                        "engineVersion": "v2", "type": "Opaque",
                        "data": {k: f.store_template() for k, f in sorted(files.items())},
                    }},
                    "data": [{"secretKey": key, "remoteRef": {"key": f"{store.key_prefix}{key}"}} for key in keys],
                },
                opts=opts,
            )
            return name, None
        if self.rendering:
            annotations = {**annotations, "monstack.dev/placeholder-values": "true"}
        contents = {k: self._secret_values(f, secrets) for k, f in sorted(files.items())}
        k8s.core.v1.Secret(
            f"{rname}-secret",
            metadata=self._metadata(name, plan, annotations),
            type="Opaque",
            string_data=contents,
            opts=opts,
        )
        # Keyed with a secret (digest.secrets_digest): the digest is no verifier of a password,
        # so it may stand in the pod template in the clear.
        digest = pulumi.Output.all(secrets[DIGEST_KEY_SECRET], *contents.values()).apply(
            lambda v: secrets_digest(v[0], v[1:]))
        return name, pulumi.Output.unsecret(digest)

    def _access(self, rname: str, plan: ServicePlan, opts: pulumi.ResourceOptions) -> None:
        k8s.core.v1.ServiceAccount(
            f"{rname}-service-account",
            metadata=self._metadata(plan.name, plan),
            automount_service_account_token=False,
            opts=opts,
        )
        if not plan.cluster_access:
            return
        role_name = rbac.cluster_role_name(self.namespace_name, plan.name)
        role = k8s.rbac.v1.ClusterRole(
            f"{rname}-cluster-role",
            metadata=self._metadata(role_name, plan, namespaced=False),
            rules=[rbac.rule(r) for r in plan.cluster_access],
            opts=opts,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{rname}-cluster-role-binding",
            metadata=self._metadata(role_name, plan, namespaced=False),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
            subjects=rbac.binding_subjects(self.namespace_name, plan.name),
            opts=self._with(opts, depends_on=[role]),
        )

    def _claim_spec(self, plan: ServicePlan) -> dict[str, Any]:
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": volume_quantity(plan.volume_size or "1GiB")}}}
        if self.k8s.storage_class:
            spec["storageClassName"] = self.k8s.storage_class
        return spec

    def _shared_claim(self, rname: str, plan: ServicePlan, opts: pulumi.ResourceOptions) -> str:
        """The one volume claim of a single-instance service, kept by `pulumi destroy` and
        refused deletion (protect) where data matters; its fixed name survives renames."""
        name = f"{plan.name}-data"
        protect = self.args.protect_data
        k8s.core.v1.PersistentVolumeClaim(
            f"{rname}-data", metadata=self._metadata(name, plan), spec=self._claim_spec(plan),
            opts=self._with(opts, protect=protect, retain_on_delete=protect),
        )
        return name

    def _workload(self, rname: str, plan: ServicePlan, template: dict, selector: dict,
                  opts: pulumi.ResourceOptions, depends_on: list[pulumi.Resource]) -> pulumi.CustomResource:
        """The workload, created or rolled after the ConfigMaps its pods project (`depends_on`)."""
        metadata = self._metadata(plan.name, plan)
        if plan.host_access:
            return k8s.apps.v1.DaemonSet(
                f"{rname}-daemonset", metadata=metadata,
                spec={"selector": selector, "template": template,
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
                opts=self._with(opts, depends_on=depends_on))
        if plan.data_path and plan.data_per_replica:
            return k8s.apps.v1.StatefulSet(
                f"{rname}-statefulset", metadata=metadata,
                spec={
                    "serviceName": Topology.governing_service(plan.name),
                    "replicas": plan.replicas,
                    "podManagementPolicy": "Parallel",
                    "selector": selector,
                    "template": template,
                    "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": selector_labels(plan, self.environment)},
                                              "spec": self._claim_spec(plan)}],
                    # Claims outlive the StatefulSet: deleting or scaling it never deletes metrics.
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                },
                opts=self._with(opts, depends_on=depends_on))
        strategy = {"type": "Recreate"} if plan.data_path else {"type": "RollingUpdate"}
        return k8s.apps.v1.Deployment(
            f"{rname}-deployment", metadata=metadata,
            # A ReadWriteOnce volume cannot be attached twice: replace the pod instead of overlapping.
            spec={"replicas": plan.replicas, "selector": selector, "template": template, "strategy": strategy},
            opts=self._with(opts, depends_on=depends_on))

    def _services(self, rname: str, plan: ServicePlan, opts: pulumi.ResourceOptions) -> None:
        if plan.host_access:
            return  # scraped pod by pod through the API: no Service
        selector = selector_labels(plan, self.environment)
        # Every port of the pod, its sidecars' included (Thanos' gRPC StoreAPI beside the HTTP one).
        ports = [{"name": name, "port": port, "targetPort": name, "protocol": "TCP"} for name, port in plan.all_ports]
        k8s.core.v1.Service(
            f"{rname}-service", metadata=self._metadata(plan.name, plan),
            spec={"type": "ClusterIP", "selector": selector, "ports": ports},
            opts=opts)
        if plan.data_per_replica:
            peers = [{"name": "peer-tcp", "port": plan.peer_port, "targetPort": "peer-tcp", "protocol": "TCP"},
                     {"name": "peer-udp", "port": plan.peer_port, "targetPort": "peer-udp", "protocol": "UDP"}
                     ] if plan.peer_port else []
            # Governing Service: a stable DNS name per replica; peers must find each other before ready.
            k8s.core.v1.Service(
                f"{rname}-headless", metadata=self._metadata(Topology.governing_service(plan.name), plan),
                spec={"clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector,
                      "ports": [*ports, *peers]},
                opts=opts)
