"""Prometheus' and Alertmanager's own settings: scrape and evaluation timing, retention,
replicas, cardinality guards, and the volume Prometheus needs for its retention."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, model_validator

from config.errors import FieldIssue, FieldIssuesError
from config.fields import Duration, Model, Resources, Size
from config.units import duration_seconds, gibibytes_ceil, size_bytes


class Retention(Model):
    time: Duration = Field("15d", examples=["15d"])
    size: Size = Field("5GB", examples=["5GB"])


class ScrapeLimits(Model):
    """What one scrape may bring in before Prometheus refuses it (one bad label on a target
    must not take Prometheus down). Each field is optional so that a job's entry in
    `prometheus.jobLimits` changes only what it names; the stack's `prometheus.scrapeLimits`
    fills the rest. A scrape over `sampleLimit`, a label or body limit fails whole (the job's
    `up` drops to 0); a job over `targetLimit` scrapes no target at all."""

    sample_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[50000])
    label_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[64])
    label_name_length_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[128])
    label_value_length_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[2048])
    target_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[500])
    body_size_limit: Optional[Size] = Field(None, examples=["32MB"])

    def over(self, defaults: ScrapeLimits) -> ScrapeLimits:
        """These limits, with `defaults` where this one names none."""
        return defaults.model_copy(update=self.model_dump(exclude_none=True))


# Limits every job gets unless the stack sets its own: generous enough for kube-state-metrics
# and a kubelet's cAdvisor on a mid-sized node, far below what takes a 1GB Prometheus down.
DEFAULT_SCRAPE_LIMITS = ScrapeLimits(sample_limit=50000, label_limit=64, label_name_length_limit=128,
                                     label_value_length_limit=2048, target_limit=500, body_size_limit="32MB")


class PrometheusSettings(Model):
    scrape_interval: Duration = Field("15s", examples=["15s"])
    scrape_timeout: Duration = Field("10s", examples=["10s"])
    evaluation_interval: Duration = Field("15s", examples=["15s"])
    # Prometheus scrapes itself; the seed scrapes it less often than the rest.
    self_scrape_interval: Optional[Duration] = Field(None, examples=["30s"])
    # Identical replicas (Kubernetes), each with its own `replica` external label; 2 or more
    # need the thanos block, whose Query deduplicates them (config/thanos.py).
    replicas: int = Field(1, ge=1, le=5, examples=[2])
    retention: Retention = Retention()
    resources: Resources = Resources()
    # Cardinality guards: the stack's limits for every scrape job, and per-job changes by job name.
    scrape_limits: ScrapeLimits = Field(ScrapeLimits(), examples=[{"sampleLimit": 50000}])
    job_limits: dict[str, ScrapeLimits] = Field(default_factory=dict,
                                                examples=[{"kube-state-metrics": {"sampleLimit": 100000}}])
    # Head series the stack is expected to hold: with the measured bytes per series, the memory
    # limit is checked against it at preview (content.capacity).
    expected_series: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[150000])

    def limits_for(self, job: str) -> ScrapeLimits:
        """The limits of scrape job `job`: its own entry, then the stack's, then the defaults."""
        return self.job_limits.get(job, ScrapeLimits()).over(self.scrape_limits.over(DEFAULT_SCRAPE_LIMITS))

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> PrometheusSettings:
        if duration_seconds(self.scrape_timeout) > duration_seconds(self.scrape_interval):
            raise FieldIssuesError([FieldIssue(
                ("scrapeTimeout",), self.scrape_timeout,
                f"scrapeTimeout {self.scrape_timeout} is longer than scrapeInterval {self.scrape_interval}; "
                "Prometheus refuses that", example=self.scrape_interval)])
        return self


class AlertmanagerSettings(Model):
    resources: Resources = Resources()
    group_wait: Duration = Field("30s", examples=["30s"])
    group_interval: Duration = Field("5m", examples=["5m"])
    repeat_interval: Duration = Field("4h", examples=["4h"])


# Prometheus' retention.size bounds the TSDB blocks only; the WAL, the head chunks and the
# compaction that writes a new block before deleting old ones come on top of it. The volume
# claim must hold retention.size plus this share of it (at least HEADROOM_MIN_GB).
VOLUME_HEADROOM = 0.25
HEADROOM_MIN_GB = 1
Hostname = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]
K8sName = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


def prometheus_volume_floor(retention_size: str) -> int:
    """Smallest Prometheus volume (whole GiB) that holds `retention_size` plus headroom."""
    size = size_bytes(retention_size)
    return gibibytes_ceil(size + max(int(size * VOLUME_HEADROOM), HEADROOM_MIN_GB * 1024**3))
