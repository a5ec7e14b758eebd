"""Exporters that read one service (database, cache) at an address, with an optional
password given to the exporter as a file, never as a plain environment variable."""

from __future__ import annotations

import json
from typing import ClassVar

from config.settings import ExporterSettings, ServiceExporterSettings
from content.integrations.base import CONFIG_DIR, Egress, Exporter
from content.rules import Alert, Series, alert_prefix, labels_of
from content.scrape import ScrapeJob


class ServiceExporter(Exporter):
    # The exporter's own gauge that is 0 when it cannot reach the service.
    up_metric: ClassVar[str]

    def egress_for(self, own: ServiceExporterSettings) -> Egress:
        return Egress(ports=(int(own.address.rsplit(":", 1)[1]),))

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        return [Alert(
            name=f"{alert_prefix(job.name)}Unreachable",
            expr=f"{self.up_metric}{{{job.selector}}} == 0",
            for_="1m", severity="critical",
            summary=f"{self.title} is unreachable from its exporter",
            description=f"The exporter {{{{ $labels.instance }}}} cannot reach {self.title}.",
            fixture=lambda _t, fire: [Series(f"{self.up_metric}{labels_of(job.selector)}", 0 if fire else 1)],
        )]


class Redis(ServiceExporter):
    key = "redis"
    title = "Redis"
    port = 9121
    up_metric = "redis_up"
    has_wget = False  # scratch image

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--redis.addr=redis://{own.address}"]
        if own.password_secret:
            args.append(f"--redis.password-file={CONFIG_DIR}/secrets/password.json")
        return args

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        # redis_exporter reads a JSON map of address to password.
        return {"secrets/password.json": json.dumps({f"redis://{own.address}": password}, sort_keys=True)}


class Postgres(ServiceExporter):
    key = "postgres"
    title = "PostgreSQL"
    port = 9187
    up_metric = "pg_up"
    has_wget = False

    def env(self, own: ServiceExporterSettings) -> dict[str, str]:
        env = {"DATA_SOURCE_URI": f"{own.address}/{own.database or 'postgres'}?sslmode=disable"}
        if own.user:
            env["DATA_SOURCE_USER"] = own.user
        if own.password_secret:
            env["DATA_SOURCE_PASS_FILE"] = f"{CONFIG_DIR}/secrets/password"
        return env


class Mysql(ServiceExporter):
    key = "mysql"
    title = "MySQL/MariaDB"
    port = 9104
    up_metric = "mysql_up"

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--mysqld.address={own.address}"]
        if own.user:
            args.append(f"--mysqld.username={own.user}")
        if own.password_secret:
            args.append(f"--config.my-cnf={CONFIG_DIR}/secrets/my.cnf")
        return args

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        host, port = own.address.rsplit(":", 1)
        user = own.user or "exporter"
        return {"secrets/my.cnf": f"[client]\nuser={user}\npassword={password}\nhost={host}\nport={port}\n"}


class Mongodb(ServiceExporter):
    key = "mongodb"
    title = "MongoDB"
    port = 9216
    up_metric = "mongodb_up"
    has_wget = False

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--mongodb.uri=mongodb://{own.address}", "--collect-all", "--compatible-mode"]
        if own.user:
            args.append(f"--mongodb.user={own.user}")
        return args

    # percona/mongodb_exporter reads no password file: its password is the one credential
    # that reaches a container as a (secret) environment variable, MONGODB_PASSWORD.
    secret_env: ClassVar[str] = "MONGODB_PASSWORD"

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        return {}
