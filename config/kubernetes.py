"""Where and how the stack runs on a cluster (platform: kubernetes): namespace, cluster
target, volumes, Alertmanager peers, the Ingress and an external secret store."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator, model_validator

from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.fields import Duration, Model, Size

Hostname = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]
K8sName = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


class VolumeSizes(Model):
    """Volume claims. `prometheus` defaults to retention.size plus headroom (see VOLUME_HEADROOM)."""

    prometheus: Optional[Size] = Field(None, examples=["13GiB"])
    alertmanager: Size = Field("1GiB", examples=["1GiB"])
    grafana: Size = Field("2GiB", examples=["2GiB"])


class Ingress(Model):
    """The Ingress in front of the UIs (exposure.mode proxy): TLS is mandatory, with the
    certificate either in a Secret of the namespace or issued by a cert-manager issuer."""

    class_name: str = Field("nginx", min_length=1, examples=["nginx"])
    # Defaults to the host of exposure.publicUrl; when given, both must agree.
    host: Optional[Hostname] = Field(None, examples=["memeit.pro"])
    tls_secret: Optional[K8sName] = Field(None, examples=["memeit-pro-tls"])
    cert_manager_issuer: Optional[K8sName] = Field(None, examples=["letsencrypt-prod"])
    cert_manager_issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"
    # Where the ingress controller's pods run: the NetworkPolicies let only them reach the UIs.
    controller_namespace: K8sName = Field("ingress-nginx", examples=["ingress-nginx"])

    @model_validator(mode="after")
    def _one_certificate_source(self) -> Ingress:
        if bool(self.tls_secret) == bool(self.cert_manager_issuer):
            why = ("the ingress serves TLS only: set exactly one of tlsSecret (a kubernetes.io/tls Secret in the "
                   "namespace) or certManagerIssuer (cert-manager issues the certificate)")
            if self.tls_secret:  # both given: drop the issuer
                raise FieldIssuesError([FieldIssue(("certManagerIssuer",), self.cert_manager_issuer, why, remove=True)])
            raise FieldIssuesError([FieldIssue(("tlsSecret",), _ABSENT, why, example="memeit-pro-tls")])
        return self


class ExternalSecrets(Model):
    """Take credentials from an external secret store (External Secrets Operator) instead of
    putting Pulumi secrets into Secret objects: the program then declares ExternalSecrets whose
    remote keys are `<keyPrefix><secret config key>` (e.g. monstack/prod/webPassword)."""

    store_name: K8sName = Field(examples=["vault"])
    store_kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    key_prefix: str = Field("", pattern=r"^[A-Za-z0-9_./-]*$", examples=["monstack/prod/"])
    refresh_interval: Duration = Field("1h", examples=["1h"])


class KubernetesSettings(Model):
    """Where and how the stack runs on a cluster (platform: kubernetes)."""

    namespace: K8sName = Field("monitoring", examples=["monitoring"])
    # Path of a kubeconfig file (default: $KUBECONFIG or ~/.kube/config) and its context.
    kubeconfig: Optional[str] = Field(None, min_length=1, examples=["~/.kube/config"])
    context: Optional[str] = Field(None, min_length=1, examples=["prod-cluster"])
    # Render the manifests into this directory instead of applying them (offline checks, PR previews).
    render_yaml_to: Optional[str] = Field(None, min_length=1, examples=["rendered/prod"])
    storage_class: Optional[K8sName] = Field(None, examples=["standard-retain"])
    volumes: VolumeSizes = VolumeSizes()
    # 1, or 2 and more peered as one Alertmanager cluster (gossip deduplicates notifications).
    alertmanager_replicas: int = Field(1, examples=[2])
    pod_disruption_budgets: bool = False
    ingress: Optional[Ingress] = None
    external_secrets: Optional[ExternalSecrets] = None
    # Return from `pulumi up` without waiting for workloads to become ready, Services to get
    # endpoints and claims to be bound (the provider's pulumi.com/skipAwait): for GitOps-style
    # applies where something else watches the rollout, and for a cluster without nodes (the
    # control-plane tests). Off, `pulumi up` fails when a rollout never becomes ready.
    skip_await: bool = Field(False, examples=[True])

    @field_validator("alertmanager_replicas")
    @classmethod
    def _usable_replicas(cls, replicas: int) -> int:
        if replicas < 1:
            raise ValueError(
                f"alertmanagerReplicas {replicas}: at least one Alertmanager must run, or no alert is ever "
                "delivered; use 1, or 2 or more for a peered cluster"
            )
        if replicas > 9:
            raise ValueError(
                f"alertmanagerReplicas {replicas}: every replica receives every alert from Prometheus and gossips "
                "with every peer, so replicas beyond a handful add notification traffic, not availability; use 2 to 9"
            )
        return replicas

    @model_validator(mode="after")
    def _budget_needs_peers(self) -> KubernetesSettings:
        if self.pod_disruption_budgets and self.alertmanager_replicas < 2:
            raise FieldIssuesError([FieldIssue(
                ("alertmanagerReplicas",), self.alertmanager_replicas,
                "alertmanagerReplicas 1 with podDisruptionBudgets: a budget on a single Alertmanager either blocks "
                "every node drain (minAvailable 1) or protects nothing; set alertmanagerReplicas to 2 or more "
                "(or podDisruptionBudgets to false)", example=2)])
        return self

    @model_validator(mode="after")
    def _await_needs_a_cluster(self) -> KubernetesSettings:
        if self.skip_await and self.render_yaml_to:
            raise FieldIssuesError([FieldIssue(
                ("skipAwait",), self.skip_await,
                f"skipAwait with renderYamlTo {self.render_yaml_to!r}: rendering applies nothing, so there is nothing "
                "to await, and the annotation would only be copied into the manifests", remove=True)])
        return self
