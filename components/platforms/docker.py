"""The Docker platform (pulumi-docker): one private network, and per service an image, a
config volume that the files are uploaded into, a data volume where the service keeps state,
and the container with its limits, healthcheck and hardening."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_docker as docker

from components.platforms import stack_wide_options
from components.platforms.digest import files_digest
from config.settings import Settings
from config.units import size_megabytes
from content.service_plan import SecretFile, ServicePlan, StackPlan
from content.topology import Topology
from content.workload import CONFIG_DIR

UI_SERVICES = ("prometheus", "alertmanager", "grafana")


def _secret_content(secret: SecretFile, secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
    values = [secrets[key] for key in secret.keys]
    return pulumi.Output.secret(pulumi.Output.all(*values).apply(lambda v: secret.render(*v)))


@dataclass(frozen=True)
class DockerArgs:
    """What the Docker platform reads of a stack, and nothing more."""

    environment: str
    """The `monstack.environment` label of the network and every container."""
    cluster: str
    """The `monstack.cluster` label of every container."""
    name_prefix: str
    """The network's name and the prefix of every container and volume (`monstack-<env>` unless set)."""
    protect_data: bool
    """Data and shared volumes refuse deletion and outlive `pulumi destroy` (Pulumi protect, retainOnDelete)."""
    hardened: bool
    """Containers drop every capability, refuse new privileges and run on a read-only root."""
    proxy_network: Optional[str] = None
    """A reverse proxy's network the UIs join as well (exposure.mode proxy), or None."""

    @classmethod
    def of(cls, settings: Settings, topology: Topology, plan: StackPlan) -> DockerArgs:
        """The values of `settings` the platform uses (`plan` is not one: Docker needs nothing
        of it beyond each service's own, which `run` receives)."""
        return cls(environment=settings.environment, cluster=settings.cluster, name_prefix=topology.name_prefix,
                   protect_data=settings.protect_data, hardened=settings.hardened,
                   proxy_network=settings.exposure.proxy_network)


class DockerPlatform(pulumi.ComponentResource):
    """A private network the services meet on, then each service's workload through `run`."""

    network_name: pulumi.Output[str]
    """The network (applications join it to be scraped by name)."""

    def __init__(self, name: str, args: DockerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("monstack:platform:Docker", name, None, opts)
        self.args = args
        self.prefix = args.name_prefix
        # Stack-wide resources are children of the platform, aliased to where they were declared
        # before the platform became a component, so existing stacks keep them.
        self._stack_wide = stack_wide_options(self, opts)
        self.network = docker.Network(
            f"{name}-network",
            name=self.prefix,
            driver="bridge",
            labels=[docker.NetworkLabelArgs(label="monstack.environment", value=args.environment)],
            opts=self._stack_wide,
        )
        self.network_name = self.network.name
        self._shared: dict[str, docker.Volume] = {}
        self.register_outputs({"network_name": self.network_name})

    def _labels(self, plan: ServicePlan) -> list[docker.ContainerLabelArgs]:
        labels = {
            "monstack.service": plan.name,
            "monstack.environment": self.args.environment,
            "monstack.cluster": self.args.cluster,
            # The offline preview writes a container's config volume to OUTDIR/<bundle-dir>.
            "monstack.bundle-dir": plan.bundle_dir,
            "monstack.config-dir": CONFIG_DIR,
        }
        return [docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())]

    def run(self, name: str, plan: ServicePlan, secrets: Mapping[str, pulumi.Output[str]],
            opts: pulumi.ResourceOptions) -> docker.Container:
        """Declare the service's image, volumes and container(s), named `<name>-...`, with `opts`
        (the service component as parent)."""
        rname, child = name, opts
        image = docker.RemoteImage(f"{rname}-image", name=plan.image, keep_locally=True, opts=child)

        config_volume = docker.Volume(
            f"{rname}-config",
            # Named after its files: a change gives a fresh volume (no stale rule files) and a new container.
            name=f"{self.prefix}-{plan.name}-config-{files_digest(plan)[:10]}",
            labels=[docker.VolumeLabelArgs(label="monstack.service", value=plan.name)],
            opts=child,
        )
        mounts = [docker.ContainerMountArgs(target=CONFIG_DIR, type="volume", source=config_volume.name, read_only=False)]
        if plan.data_path:
            protect = self.args.protect_data
            data_volume = docker.Volume(
                f"{rname}-data",
                name=f"{self.prefix}-{plan.name}-data",
                labels=[docker.VolumeLabelArgs(label="monstack.service", value=plan.name)],
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)),
            )
            mounts.append(docker.ContainerMountArgs(target=plan.data_path, type="volume", source=data_volume.name))
        for volume_name, path in plan.shared_volumes:
            mounts.append(docker.ContainerMountArgs(target=path, type="volume", source=self._shared_volume(volume_name).name))
        for host_path, container_path in (plan.host_access.mounts if plan.host_access else ()):
            mounts.append(docker.ContainerMountArgs(
                target=container_path, source=host_path, type="bind", read_only=True,
                bind_options=docker.ContainerMountBindOptionsArgs(propagation="rslave") if container_path == "/host" else None,
            ))

        uploads = [docker.ContainerUploadArgs(file=f"{CONFIG_DIR}/{path}", content=content)
                   for path, content in sorted(plan.files.items())]
        owner = (plan.user or "0:0").split(":")[0]
        uploads += [docker.ContainerUploadArgs(
            file=f"{CONFIG_DIR}/{secret.path}", content=_secret_content(secret, secrets),
            owner=owner, permissions="0400",
        ) for secret in plan.secret_files]

        envs: list[pulumi.Input[str]] = [f"{k}={v}" for k, v in sorted(plan.env.items())]
        envs += [secrets[key].apply(lambda v, var=var: f"{var}={v}") for var, key in sorted(plan.secret_env.items())]

        networks = [docker.ContainerNetworksAdvancedArgs(name=self.network.name, aliases=[plan.name])]
        proxy_network = self.args.proxy_network
        if proxy_network and plan.name in UI_SERVICES:
            networks.append(docker.ContainerNetworksAdvancedArgs(name=proxy_network, aliases=[f"{self.prefix}-{plan.name}"]))

        main = self._container(
            f"{rname}-container", plan, image.image_id, mounts, child, depends_on=[config_volume],
            envs=envs or None,
            uploads=uploads,
            networks_advanced=networks,
            ports=[docker.ContainerPortArgs(internal=plan.port, external=plan.publish[1], ip=plan.publish[0])]
            if plan.publish else None,
        )
        # A sidecar joins the main container's network namespace (localhost, and its address on
        # the network) and mounts its volumes, the config volume read-only.
        shared = [docker.ContainerMountArgs(target=m.target, type=m.type, source=m.source,
                                            read_only=True if m.target == CONFIG_DIR else m.read_only)
                  for m in mounts]
        for sidecar in plan.sidecars:
            side_image = docker.RemoteImage(f"{rname}-{sidecar.name}-image", name=sidecar.image, keep_locally=True,
                                            opts=child)
            self._container(f"{rname}-{sidecar.name}-container", plan.sidecar_plan(sidecar), side_image.image_id,
                            shared, child, depends_on=[main],
                            network_mode=main.name.apply(lambda name: f"container:{name}"))
        return main

    def _shared_volume(self, name: str) -> docker.Volume:
        """A volume several services mount (a FILESYSTEM bucket), declared once, kept like data."""
        if name not in self._shared:
            protect = self.args.protect_data
            self._shared[name] = docker.Volume(
                f"{self.prefix}-{name}", name=f"{self.prefix}-{name}",
                labels=[docker.VolumeLabelArgs(label="monstack.shared", value=name)],
                opts=pulumi.ResourceOptions.merge(
                    self._stack_wide, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)))
        return self._shared[name]

    def _container(self, rname: str, plan: ServicePlan, image_id: pulumi.Input[str],
                   mounts: list[docker.ContainerMountArgs], opts: pulumi.ResourceOptions,
                   depends_on: list[pulumi.Resource], **extra: object) -> docker.Container:
        """A container of `plan` with the stack's limits, healthcheck, hardening and logging."""
        limits, reservations = plan.resources.limits, plan.resources.reservations
        privileged = bool(plan.host_access and plan.host_access.privileged)
        hardened = self.args.hardened and not privileged
        return docker.Container(
            rname,
            name=f"{self.prefix}-{plan.name}",
            image=image_id,
            command=list(plan.args) or None,
            mounts=mounts,
            user=plan.user,
            restart="unless-stopped",
            memory=size_megabytes(limits.memory) if limits.memory else None,
            memory_reservation=size_megabytes(reservations.memory) if reservations.memory else None,
            cpus=f"{limits.cpu:g}" if limits.cpu else None,
            # Docker has no CPU reservation outside swarm: a reservation becomes a relative weight.
            cpu_shares=int(reservations.cpu * 1024) if reservations.cpu else None,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=list(plan.health), interval="30s", timeout="10s", retries=3, start_period="30s",
            ) if plan.health else None,
            privileged=privileged or None,
            pid_mode="host" if plan.host_access and plan.host_access.pid_host else None,
            security_opts=["no-new-privileges:true"] if hardened else None,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]) if hardened else None,
            read_only=hardened and plan.read_only_root,
            tmpfs={path: "rw,noexec,nosuid,size=64m" for path in plan.tmpfs} or None,
            log_driver="json-file",
            log_opts={"max-size": "10m", "max-file": "3"},
            labels=self._labels(plan),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends_on)),
            **extra,
        )
