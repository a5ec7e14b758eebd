"""Starting and stopping the stack's real processes. Each process is tracked by its pid and
stopped by the group that started it, so nothing outlives a test run."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_get(url: str, auth: Optional[tuple[str, str]] = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(check, what: str, seconds: float = 60, every: float = 0.3):
    """Poll `check()` until it returns a truthy value; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    last_error: Optional[Exception] = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (OSError, ValueError) as error:
            last_error = error
        time.sleep(every)
    raise TimeoutError(f"{what} not ready after {seconds:.0f}s" + (f" (last error: {last_error})" if last_error else ""))


@dataclass
class Process:
    name: str
    argv: list[str]
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class ProcessGroup:
    """Processes started for one run, stopped in reverse order by pid."""

    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)
    cleanup_dirs: list[Path] = field(default_factory=list)  # outside workdir, removed by stop_all

    def start(self, name: str, argv: list[str], env: Optional[dict[str, str]] = None, cwd: Optional[Path] = None) -> Process:
        log = self.workdir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "ab")
        popen = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd or self.workdir,
                                 env={**os.environ, **(env or {})}, start_new_session=True)
        handle.close()
        process = Process(name, argv, popen, log)
        self.processes[name] = process
        return process

    def check_alive(self, name: str) -> None:
        process = self.processes[name]
        if not process.alive():
            raise RuntimeError(f"{name} exited with {process.popen.returncode}:\n{process.tail()}")

    def stop(self, name: str, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or not process.alive():
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.popen.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)
        for path in self.cleanup_dirs:
            shutil.rmtree(path, ignore_errors=True)
