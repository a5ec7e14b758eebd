"""The services the exporters watch, started by hand on loopback from Debian's packages:
Redis, PostgreSQL, MariaDB and RabbitMQ, each with its own data directory and port, no
systemd. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.live.processes import ProcessGroup, free_port, wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


@dataclass(frozen=True)
class Backend:
    name: str
    address: str  # host:port the exporter connects to
    user: str = ""
    password: str = ""


def _tcp_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _as_user(user: str, path: Path) -> list[str]:
    """Prefix that runs a command as `user` when we are root (and hands it `path`)."""
    if os.geteuid() != 0:
        return []
    shutil.chown(path, user, user)
    for child in path.rglob("*"):
        shutil.chown(child, user, user)
    return ["runuser", "-u", user, "--"]


def start_redis(group: ProcessGroup) -> Backend:
    port, data = free_port(), group.workdir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    group.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                          "--save", "", "--appendonly", "no", "--maxmemory", "64mb"])
    wait_for(lambda: _tcp_open(port), "redis")
    return Backend("redis", f"127.0.0.1:{port}")


def restart_redis(group: ProcessGroup, backend: Backend) -> None:
    port = int(backend.address.rsplit(":", 1)[1])
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(group.workdir / "redis"),
            "--save", "", "--appendonly", "no", "--maxmemory", "64mb"]
    group.start("redis", argv)
    wait_for(lambda: _tcp_open(port), "redis")


def start_postgres(group: ProcessGroup) -> Backend:
    port = free_port()
    # Its own directory under /tmp: a root-only test directory would be out of the postgres user's reach.
    root = Path(tempfile.mkdtemp(prefix="monstack-pg-"))
    group.cleanup_dirs.append(root)
    data = root / "data"
    data.mkdir()
    password_file = root / "pgpass-init"
    password_file.write_text("monitor-pw\n")
    prefix = _as_user("postgres", root)
    subprocess.run(prefix + [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                             f"--pwfile={password_file}"], check=True, capture_output=True)
    group.start("postgres", prefix + [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data),
                                      "-c", "listen_addresses=127.0.0.1"])
    wait_for(lambda: _tcp_open(port), "postgres")
    return Backend("postgres", f"127.0.0.1:{port}", user="postgres", password="monitor-pw")


def start_mariadb(group: ProcessGroup) -> Backend:
    port, data = free_port(), group.workdir / "mariadb"
    data.mkdir(parents=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(["mariadb-install-db", f"--datadir={data}", "--auth-root-authentication-method=normal",
                    "--skip-test-db", *user], check=True, capture_output=True)
    sock = data / "mysqld.sock"
    group.start("mariadb", ["mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
                            f"--socket={sock}", f"--pid-file={data / 'mysqld.pid'}", "--skip-log-bin", *user])
    wait_for(lambda: _tcp_open(port), "mariadb")
    grant = ("CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'exporter-pw';"
             " GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO 'exporter'@'127.0.0.1';")
    subprocess.run(["mariadb", f"--socket={sock}", "-uroot", "-e", grant], check=True, capture_output=True)
    return Backend("mariadb", f"127.0.0.1:{port}", user="exporter", password="exporter-pw")


def start_rabbitmq(group: ProcessGroup) -> Backend:
    """RabbitMQ with its built-in Prometheus plugin; returns the plugin's address."""
    amqp, metrics, dist, epmd = free_port(), free_port(), free_port(), free_port()
    base = group.workdir / "rabbitmq"
    base.mkdir(parents=True)
    (base / "enabled_plugins").write_text("[rabbitmq_prometheus,rabbitmq_management_agent].\n")
    (base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{amqp}\nprometheus.tcp.port = {metrics}\n"
                                        "prometheus.tcp.ip = 127.0.0.1\n"
                                        # Per-queue series on /metrics, as README asks of brokers.
                                        "prometheus.return_per_object_metrics = true\n")
    env = {
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"), "RABBITMQ_NODENAME": f"monstack{amqp}@localhost",
        "RABBITMQ_DIST_PORT": str(dist), "ERL_EPMD_PORT": str(epmd), "HOME": str(base),
    }
    group.start("rabbitmq", [str(RABBIT_BIN / "rabbitmq-server")], env=env)
    group.rabbitmq_env = env  # for rabbitmqctl stop
    wait_for(lambda: _tcp_open(metrics), "rabbitmq prometheus plugin", seconds=90)
    wait_for(lambda: _tcp_open(amqp), "rabbitmq AMQP listener", seconds=60)
    _declare_queue(amqp, "clips", messages=3)
    return Backend("rabbitmq", f"127.0.0.1:{metrics}")


def _declare_queue(port: int, queue: str, messages: int) -> None:
    """A durable queue with a few messages waiting: per-queue series exist only for queues."""
    import pika

    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        for i in range(messages):
            channel.basic_publish(exchange="", routing_key=queue, body=f"job-{i}".encode())
    finally:
        connection.close()


def stop_rabbitmq(group: ProcessGroup) -> None:
    """rabbitmqctl stop, then the epmd daemon it started (found by its port)."""
    env = getattr(group, "rabbitmq_env", None)
    if not env:
        return
    subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "stop"], env={**os.environ, **env}, capture_output=True, timeout=60)
    group.stop("rabbitmq")
    for pid in _epmd_pids(env["ERL_EPMD_PORT"]):
        os.kill(pid, 15)


def _epmd_pids(port: str) -> list[int]:
    """The epmd daemon RabbitMQ started: it detaches, so it is found by the port in its environment."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"epmd" in (proc / "cmdline").read_bytes() \
                    and f"ERL_EPMD_PORT={port}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids
