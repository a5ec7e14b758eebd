"""The `thanos` block of a stack and `prometheus.replicas`: scale-out on Thanos.

Present, the block turns Thanos on: a sidecar beside every Prometheus replica ships its blocks
to object storage, a store gateway serves the bucket, a compactor compacts, downsamples and
ages it out per resolution, and Thanos Query answers Grafana, deduplicating the replicas on
their `replica` external label. Absent, the stack is one Prometheus as before.

The bucket's plain facts (type, bucket, endpoint, region, access key id, storage account) are
keys here; its one credential is the *name* of a secret config key, as a receiver's
`credential` is, so the secret never sits in the stack file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, Field, model_validator

from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.fields import Duration, Model, Resources, SecretKey, Size
from config.units import duration_seconds

# Thanos downsamples raw blocks older than 40 hours into 5m resolution, and 5m blocks older
# than 10 days into 1h (docs/components/compact.md): a finer resolution kept for less than
# that never feeds the coarser one, whose retention then keeps nothing.
DOWNSAMPLE_AFTER = {"raw": 40 * 3600, "5m": 10 * 86400}
MAX_REPLICAS = 5
STORAGE_TYPES = ("S3", "GCS", "AZURE", "FILESYSTEM")
# Which optional keys each bucket type reads; any other key set is a mistake, reported as one.
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "S3": ("endpoint", "region", "accessKeyId", "insecure", "credential"),
    "GCS": ("credential",),
    "AZURE": ("endpoint", "storageAccount", "credential"),
    "FILESYSTEM": (),
}
_OPTIONAL_KEYS = ("endpoint", "region", "accessKeyId", "storageAccount", "insecure", "credential")


class ObjectStorage(Model):
    """Where the blocks go. `credential` names the secret key holding the S3 secret access key,
    the GCS service account's JSON key, or the Azure storage account key; without it Thanos
    uses the platform's identity (an IAM role, Workload Identity, a managed identity).
    FILESYSTEM (`bucket` is a directory) shares one Docker volume and serves tests and demos."""

    type: Literal["S3", "GCS", "AZURE", "FILESYSTEM"] = Field(examples=["S3"])
    bucket: str = Field(min_length=1, pattern=r"^[A-Za-z0-9/][A-Za-z0-9._/-]*$", examples=["monstack-prod-metrics"])
    endpoint: Optional[str] = Field(None, pattern=r"^[A-Za-z0-9.-]+(:\d{1,5})?$",
                                    examples=["s3.eu-central-1.amazonaws.com"])
    region: Optional[str] = Field(None, pattern=r"^[a-z0-9-]+$", examples=["eu-central-1"])
    access_key_id: Optional[str] = Field(None, pattern=r"^[A-Za-z0-9]+$", examples=["AKIAIOSFODNN7EXAMPLE"])
    storage_account: Optional[str] = Field(None, pattern=r"^[a-z0-9]{3,24}$", examples=["monstackmetrics"])
    insecure: bool = Field(False, examples=[True])  # S3 over plain http (a MinIO inside the cluster)
    credential: Optional[SecretKey] = Field(None, examples=["thanosBucketKey"])

    @model_validator(mode="after")
    def _keys_of_its_type(self) -> ObjectStorage:
        issues = []
        used = _TYPE_KEYS[self.type]
        for key in _OPTIONAL_KEYS:
            value = getattr(self, _snake(key))
            if value not in (None, False) and key not in used:
                issues.append(FieldIssue((key,), value, f"{self.type} buckets do not read {key} (they read: "
                                         f"{', '.join(used) or 'bucket only'})", remove=True))
        if self.type == "S3" and not self.endpoint:
            issues.append(FieldIssue(("endpoint",), _ABSENT, "an S3 bucket needs its endpoint (AWS: "
                                     "s3.<region>.amazonaws.com; MinIO: host:port)",
                                     example="s3.eu-central-1.amazonaws.com"))
        if self.type == "S3" and bool(self.access_key_id) != bool(self.credential):
            missing = "credential" if self.access_key_id else "accessKeyId"
            issues.append(FieldIssue((missing,), _ABSENT, "accessKeyId and credential (the secret access key) go "
                                     "together; leave both out to use the pod's IAM role",
                                     example="thanosBucketKey" if missing == "credential" else "AKIAIOSFODNN7EXAMPLE"))
        if self.type == "AZURE" and not self.storage_account:
            issues.append(FieldIssue(("storageAccount",), _ABSENT, "an AZURE bucket (a blob container) needs "
                                     "its storage account", example="monstackmetrics"))
        if self.type == "FILESYSTEM" and not self.bucket.startswith("/"):
            issues.append(FieldIssue(("bucket",), self.bucket, "a FILESYSTEM bucket is an absolute directory",
                                     example=f"/{self.bucket}"))
        if issues:
            raise FieldIssuesError(issues)
        return self


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


class ThanosComponent(Model):
    resources: Resources = Resources()


class Sidecar(ThanosComponent):
    """Beside each Prometheus replica: uploads its blocks and serves its recent data to Query."""

    resources: Resources = Resources.model_validate(
        {"limits": {"memory": "128MB", "cpu": 0.1}, "reservations": {"memory": "64MB", "cpu": 0.05}})


class StoreGateway(ThanosComponent):
    """Serves the bucket's blocks to Query; every replica serves all of them (no sharding)."""

    replicas: int = Field(1, ge=1, le=MAX_REPLICAS, examples=[2])
    volume: Size = Field("10GiB", examples=["10GiB"])  # index headers and caches, rebuilt from the bucket
    resources: Resources = Resources.model_validate(
        {"limits": {"memory": "512MB", "cpu": 0.3}, "reservations": {"memory": "256MB", "cpu": 0.1}})


class ResolutionRetention(Model):
    """How long the compactor keeps each resolution in the bucket."""

    raw: Duration = Field("30d", examples=["30d"])
    five_minutes: Duration = Field("90d", alias="5m", examples=["90d"])
    one_hour: Duration = Field("1y", alias="1h", examples=["1y"])

    @model_validator(mode="after")
    def _coarser_kept_longer(self) -> ResolutionRetention:
        issues = []
        values = (("raw", self.raw), ("5m", self.five_minutes), ("1h", self.one_hour))
        for (finer, finer_value), (coarser, coarser_value) in zip(values, values[1:], strict=False):
            if duration_seconds(coarser_value) < duration_seconds(finer_value):
                issues.append(FieldIssue((coarser,), coarser_value, f"{coarser} {coarser_value} is shorter than "
                                         f"{finer} {finer_value}: a coarser resolution is the one kept longer "
                                         "(it costs a fraction of the space)", example=finer_value))
            elif (duration_seconds(coarser_value) > duration_seconds(finer_value)
                  and duration_seconds(finer_value) < DOWNSAMPLE_AFTER[finer]):
                floor = "2d" if finer == "raw" else "10d"
                issues.append(FieldIssue((finer,), finer_value, f"{finer} {finer_value} is shorter than the age at "
                                         f"which Thanos downsamples it into {coarser} ({DOWNSAMPLE_AFTER[finer] // 3600}h), "
                                         f"so {coarser} would never get data", example=floor))
        if issues:
            raise FieldIssuesError(issues)
        return self


class Compactor(ThanosComponent):
    """The bucket's one compactor (two would corrupt it): compaction, downsampling, retention."""

    retention: ResolutionRetention = ResolutionRetention()
    volume: Size = Field("20GiB", examples=["20GiB"])  # scratch space: blocks are downloaded to compact them
    resources: Resources = Resources.model_validate(
        {"limits": {"memory": "512MB", "cpu": 0.5}, "reservations": {"memory": "256MB", "cpu": 0.1}})


class Query(ThanosComponent):
    """Grafana's data source: fans out to the sidecars and store gateways, deduplicates replicas."""

    replicas: int = Field(1, ge=1, le=MAX_REPLICAS, examples=[2])
    resources: Resources = Resources.model_validate(
        {"limits": {"memory": "256MB", "cpu": 0.3}, "reservations": {"memory": "128MB", "cpu": 0.1}})


def _check_block_duration(value: str) -> str:
    seconds = duration_seconds(value)
    if seconds % 60 or not 60 <= seconds <= 7200:
        raise ValueError(f"blockDuration {value} must be whole minutes from 1m to 2h: Prometheus cuts a block, the "
                         "sidecar uploads it, then the block may be compacted; 2h is Thanos' default and "
                         "prometheus-operator's (shorter only for tests and demos: many small blocks)")
    return value


class ThanosSettings(Model):
    object_storage: ObjectStorage
    # Prometheus' --storage.tsdb.min-block-duration: how often a block is cut and uploaded, so
    # also how much recent data lives only on the replicas' disks.
    block_duration: Annotated[str, AfterValidator(_check_block_duration)] = Field("2h", examples=["2h"])
    sidecar: Sidecar = Sidecar()
    store_gateway: StoreGateway = StoreGateway()
    compactor: Compactor = Compactor()
    query: Query = Query()

    def components(self) -> dict[str, ThanosComponent]:
        """Each component by its settings key (resources are checked per platform by the loader)."""
        return {"sidecar": self.sidecar, "storeGateway": self.store_gateway, "compactor": self.compactor,
                "query": self.query}


def scale_out_issues(thanos: Optional[ThanosSettings], replicas: int, platform: str) -> list[FieldIssue]:
    """What `prometheus.replicas` and the `thanos` block need of each other and of the platform,
    each at the key to change (paths from the stack's root)."""
    issues = []
    if replicas > 1 and thanos is None:
        issues.append(FieldIssue(("prometheus", "replicas"), replicas, f"{replicas} Prometheus replicas need the "
                                 "thanos block: without Thanos Query to deduplicate them Grafana would read one "
                                 "replica or the other at random", example=1))
    if replicas > 1 and platform != "kubernetes":
        issues.append(FieldIssue(("prometheus", "replicas"), replicas, "replicas run on Kubernetes (a StatefulSet); "
                                 "the Docker platform runs one Prometheus", example=1))
    for key, component in (("storeGateway", thanos.store_gateway), ("query", thanos.query)) if thanos else ():
        if component.replicas > 1 and platform != "kubernetes":
            issues.append(FieldIssue(("thanos", key, "replicas"), component.replicas, "replicas run on Kubernetes; "
                                     "the Docker platform runs one of each", example=1))
    if thanos is not None and thanos.object_storage.type == "FILESYSTEM" and platform != "docker":
        issues.append(FieldIssue(("thanos", "objectStorage", "type"), "FILESYSTEM", "a FILESYSTEM bucket is one "
                                 "directory on one host (a Docker volume); on Kubernetes the pods need an object "
                                 "store: S3, GCS or AZURE", example="S3"))
    return issues


def object_storage_example() -> dict[str, Any]:
    return {"type": "S3", "bucket": "monstack-metrics", "endpoint": "s3.eu-central-1.amazonaws.com"}
