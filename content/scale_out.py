"""Thanos' part of the plan (the `thanos` block): the store gateway, compactor and Query as
services, and what the Prometheus workload gains: the sidecar, its files, and the shared bucket
volume of a FILESYSTEM bucket. What each component runs with is content/thanos.py's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from config.settings import Images
from config.thanos import ThanosSettings
from content import prometheus
from content import thanos as thanos_plan
from content.images import core_image
from content.service_plan import Probe, SecretFile, ServicePlan, Sidecar
from content.topology import Topology
from content.web import TLS_CA_FILE, bcrypt_hash, web_config
from content.workload import CONFIG_DIR, Egress


@dataclass(frozen=True)
class ScaleOut:
    services: tuple[ServicePlan, ...]
    sidecar: Sidecar
    sidecar_files: dict[str, str]
    sidecar_secret_files: tuple[SecretFile, ...]
    bucket_volume: tuple[tuple[str, str], ...]


def scale_out(thanos: Optional[ThanosSettings], topo: Topology, web_user: str, log_level: str, images: Images,
              web_password: SecretFile, with_tls: bool, salt_seed: str) -> Optional[ScaleOut]:
    """The sidecar, store gateway, compactor and Query of the `thanos` block (None without it)."""
    if thanos is None:
        return None
    storage = thanos.object_storage
    image = core_image("thanos", images)
    # The bcrypt hash without TLS: Thanos' listeners have basic auth only (content/thanos.py says why).
    web_yml = SecretFile(thanos_plan.WEB_CONFIG_FILE, ("webPassword",),
                         lambda pw: web_config(web_user, bcrypt_hash(pw, salt_seed)),
                         template=lambda ref: web_config(web_user, f"{{{{ {ref} | bcrypt }}}}"))
    objstore = SecretFile(thanos_plan.OBJSTORE_FILE, (storage.credential,) if storage.credential else (),
                          lambda *value: thanos_plan.objstore_config(storage, value[0] if value else None))
    bucket_secrets = (web_yml, web_password, objstore)  # Query never touches the bucket
    bucket_volume = (("thanos-bucket", storage.bucket),) if storage.type == "FILESYSTEM" else ()
    http, grpc = thanos_plan.HTTP_PORT, thanos_plan.GRPC_PORT

    def probe() -> Probe:
        return Probe(http, "/-/healthy", ready_path="/-/ready", basic_auth_user=web_user)

    def service(name: str, args: list[str], component: Any, secret_files: tuple[SecretFile, ...] = bucket_secrets,
                **fields: Any) -> ServicePlan:
        return ServicePlan(name=name, bundle_dir=f"thanos/{name.removeprefix('thanos-')}", image=image, port=http,
                           args=tuple(args), secret_files=secret_files, probe=probe(), resources=component.resources,
                           replicas=topo.replicas(name), **fields)

    stateful = {"data_path": thanos_plan.DATA_DIR, "data_per_replica": True, "shared_volumes": bucket_volume,
                "egress": Egress(anywhere=True)}  # object storage lives outside the stack
    services = (
        service(thanos_plan.STORE, thanos_plan.store_args(log_level), thanos.store_gateway,
                extra_ports=(("grpc", grpc),), clients=(thanos_plan.QUERY, "prometheus"),
                volume_size=thanos.store_gateway.volume, **stateful),
        service(thanos_plan.COMPACTOR, thanos_plan.compactor_args(thanos, log_level), thanos.compactor,
                clients=("prometheus",), volume_size=thanos.compactor.volume, **stateful),
        service(thanos_plan.QUERY, thanos_plan.query_args(log_level), thanos.query,
                files={thanos_plan.ENDPOINTS_FILE: thanos_plan.endpoints_config(thanos_plan.query_endpoints(topo))},
                secret_files=(web_yml, web_password),
                clients=("grafana", "prometheus"), egress=Egress(services=("prometheus", thanos_plan.STORE))),
    )
    ca = f"{CONFIG_DIR}/{TLS_CA_FILE}" if with_tls else None
    sidecar = Sidecar(
        name=thanos_plan.SIDECAR, image=image, port=http, port_name="sidecar-http",
        args=tuple(thanos_plan.sidecar_args(log_level, thanos_plan.prometheus_url(topo), prometheus.DATA_DIR)),
        probe=probe(), resources=thanos.sidecar.resources, extra_ports=(("grpc", grpc),))
    files = {thanos_plan.PROMETHEUS_CLIENT_FILE: thanos_plan.prometheus_client_config(
        web_user, f"{CONFIG_DIR}/{prometheus.WEB_PASSWORD_FILE}", ca)}
    return ScaleOut(services=services, sidecar=sidecar, sidecar_files=files,
                    sidecar_secret_files=(web_yml, objstore), bucket_volume=bucket_volume)
