"""The project run through the real Pulumi CLI, in a throwaway workspace.

API (what other tests reuse)::

    from harness.engine import Workspace, missing_tools, ci_secrets

    with Workspace.create() as ws:                 # temp dir: project copy, file backend, PULUMI_HOME
        secrets = ci_secrets("staging")            # every secret the stack needs, fresh random values
        ws.init_stack("ci-staging", from_stack="staging",
                      config={"grafana.manageByApi": False, "kubernetes.renderYamlTo": str(ws.rendered("ci-staging"))},
                      secrets=secrets)             # each set with `pulumi config set --secret`
        ws.pulumi("preview", stack="ci-staging")   # -> Result(returncode, stdout, stderr, seconds)
        ws.pulumi("up", "--yes", stack="ci-staging")
        state = ws.export("ci-staging")            # `pulumi stack export` as a dict

- `Workspace.create(root=None)`: copies the project (without .git, .venv, .tools, outputs) into
  `root/project` with `.venv` linked to the real one, logs in to `file://root/state` with a random
  `PULUMI_CONFIG_PASSPHRASE` (kept in `root/passphrase`, mode 0600), and gives the CLI its own
  `PULUMI_HOME` (`root/home`) whose plugins are the project's (`.tools/pulumi-home/plugins`, built by
  `scripts/build-tools`). `close()` (or leaving the `with`) deletes `root` when the workspace made it.
  `Workspace.open(root)` reopens one (to look at it by hand) and never deletes it.
- `init_stack(name, from_stack, config, remove, secrets)`: the shipped `Pulumi.<from_stack>.yaml` as a
  new stack, then `pulumi config set --path` per `config` entry (path -> a scalar value: the CLI
  would store a list or map given as JSON as one string, so set its leaves), `pulumi config rm
  --path` per `remove` entry, and `pulumi config set --secret` per secret through
  `scripts/set-secrets` (values on stdin, as the CI workflows do). A stack may target a
  cluster instead of rendering: `config={"kubernetes.kubeconfig": path, ...}`.
- `pulumi(*args, stack=None, check=True, stdin=None, timeout=...)`: any CLI command, non-interactive,
  without colour; raises `EngineError` (with the whole output) on a non-zero exit unless `check=False`.
- `config_set(stack, key, value, secret=False)`, `set_secrets(stack, secrets)`, `config_rm(stack, key)`,
  `export(stack)`, `rendered(stack)` (a directory for `kubernetes.renderYamlTo`), `env` (the CLI's
  environment), `history` (every command's Result, in order).

The CLI is the one `scripts/build-tools` builds into `.tools/bin`. The Python language host is the
official `pulumi-language-python` when one is on PATH; otherwise the stand-in `harness/languagehost`
(the official one cannot be built here; see its docstring). Nothing ambient reaches the CLI: no
KUBECONFIG, no PULUMI_CONFIG*, no access token or backend URL, no plugin downloads.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.program import PROJECT, PROJECT_DIR
from harness.stackfile import _as_config_string as config_string
from harness.stackfile import fill_missing_secrets, read_stack_file

TOOLS_BIN = PROJECT_DIR / ".tools" / "bin"
PLUGINS = PROJECT_DIR / ".tools" / "pulumi-home" / "plugins"
STAND_IN_HOST_BIN = PROJECT_DIR / "harness" / "languagehost" / "bin"
BUILD_HINT = "run `scripts/build-tools pulumi pulumi-kubernetes` (scripts/setup does)"
# Not copied into the workspace: VCS, caches, outputs. `.venv` is linked instead.
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".tools", "out", "rendered", "__pycache__", ".pytest_cache",
                                     ".ruff_cache", "Pulumi.ci-*.yaml")
# Ambient settings through which the CLI, the program or a provider would reach something else.
_AMBIENT = ("KUBECONFIG", "PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL",
            "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_STACK")


class EngineError(RuntimeError):
    """A CLI command failed; the message holds the command and its whole output."""


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def missing_tools(kubernetes: bool = True) -> list[str]:
    """What `scripts/build-tools` has not built yet (empty when the engine can run)."""
    missing = [] if (TOOLS_BIN / "pulumi").is_file() else [str(TOOLS_BIN / "pulumi")]
    if kubernetes and not any(PLUGINS.glob("resource-kubernetes-v*")):
        missing.append(str(PLUGINS / "resource-kubernetes-v<version>"))
    return missing


def language_host_dirs() -> list[str]:
    """PATH entries for the language host: none when the official one is installed."""
    return [] if shutil.which("pulumi-language-python") else [str(STAND_IN_HOST_BIN)]


def ci_secrets(stack: str) -> dict[str, str]:
    """A fresh random value for every secret the shipped stack needs (the same keys the offline
    preview fills with placeholders), so a test can look for each value in everything the run wrote."""
    config = read_stack_file(stack)
    fill_missing_secrets(config)
    return {key: f"ci-{secrets.token_hex(16)}" for key in sorted(config.placeholders)}


class Workspace:
    def __init__(self, root: Path, owned: bool):
        self.root = root
        self.owned = owned
        self.project = root / "project"
        self.state = root / "state"
        self.home = root / "home"
        self.env = self._environment((root / "passphrase").read_text())
        self.history: list[Result] = []  # every command run, for timings and for scanning all output

    @classmethod
    def create(cls, root: Path | None = None) -> Workspace:
        owned = root is None
        root = Path(tempfile.mkdtemp(prefix="monstack-engine-")) if root is None else root
        if missing := missing_tools(kubernetes=False):
            raise EngineError(f"the Pulumi CLI is not built ({', '.join(missing)}): {BUILD_HINT}")
        root.mkdir(parents=True, exist_ok=True)
        passphrase = root / "passphrase"
        passphrase.touch(mode=0o600)
        passphrase.write_text(secrets.token_urlsafe(24))
        workspace = cls(root, owned)
        workspace._prepare()
        return workspace

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """A workspace made earlier by `create` (e.g. to inspect it by hand); `close` leaves it."""
        return cls(root, owned=False)

    def _environment(self, passphrase: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _AMBIENT and not k.startswith("PULUMI_K8S_")}
        env.update(
            # The CLI alone (not the rest of .tools/bin), so the provider is the plugin installed in
            # PULUMI_HOME, as for a user, not a binary that happens to be on PATH.
            PATH=os.pathsep.join([str(self.root / "bin"), *language_host_dirs(), env.get("PATH", "")]),
            PULUMI_HOME=str(self.home),
            PULUMI_CONFIG_PASSPHRASE=passphrase,
            PULUMI_SKIP_UPDATE_CHECK="1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
        )
        return env

    def _prepare(self) -> None:
        shutil.copytree(PROJECT_DIR, self.project, ignore=_NOT_COPIED, symlinks=True)
        (self.project / ".venv").symlink_to((PROJECT_DIR / ".venv").resolve())
        self.state.mkdir(parents=True)
        (self.root / "bin").mkdir()
        (self.root / "bin" / "pulumi").symlink_to(TOOLS_BIN / "pulumi")
        self.home.mkdir(parents=True)
        if PLUGINS.is_dir():
            (self.home / "plugins").symlink_to(PLUGINS.resolve())
        self.pulumi("login", f"file://{self.state}")

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rendered(self, stack: str) -> Path:
        """Where a stack in render mode writes its manifests (outside the project copy)."""
        return self.root / "rendered" / stack

    def pulumi(self, *args: str, stack: str | None = None, check: bool = True, stdin: str | None = None,
               timeout: float = 900) -> Result:
        command = [str(TOOLS_BIN / "pulumi"), *args, "--non-interactive", "--color", "never"]
        if stack:
            command += ["--stack", stack]
        return self._run(command, check=check, stdin=stdin, timeout=timeout)

    def _run(self, command: list[str], check: bool = True, stdin: str | None = None, timeout: float = 900,
             env: Mapping[str, str] | None = None) -> Result:
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=self.project, env={**self.env, **(env or {})}, text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            stdout, stderr = self._interrupt(process)
            raise EngineError(f"`{' '.join(command[1:])}` did not finish in {timeout:.0f} s:\n{stdout}{stderr}") from None
        result = Result(command, process.returncode, stdout, stderr, time.monotonic() - start)
        self.history.append(result)
        if check and process.returncode != 0:
            raise EngineError(f"`{' '.join(command[1:])}` exited {process.returncode}:\n{result.output}")
        return result

    @staticmethod
    def _interrupt(process: subprocess.Popen) -> tuple[str, str]:
        """Stop a CLI command that ran too long as Ctrl-C does: the CLI then stops its plugins
        (language host, program, providers run in process groups of their own, out of our reach)."""
        for sig in (signal.SIGINT, signal.SIGINT, signal.SIGKILL):  # cancel, force, kill
            process.send_signal(sig)
            try:
                return process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                continue
        return process.communicate()

    def config_set(self, stack: str, key: str, value: Any, secret: bool = False) -> Result:
        """`pulumi config set --path`; a secret's value goes on stdin, never on a command line.
        Scalars only: `--path` stores a list or map given as JSON as one string, which the program
        would then reject far from here."""
        if isinstance(value, (Mapping, list, tuple)):
            raise TypeError(f"config_set({key!r}): set each leaf (e.g. '{key}.field' or '{key}[0]'), not {value!r}")
        if secret:
            return self.pulumi("config", "set", "--path", "--secret", f"{PROJECT}:{key}", stack=stack, stdin=str(value))
        return self.pulumi("config", "set", "--path", "--plaintext", f"{PROJECT}:{key}", config_string(value), stack=stack)

    def set_secrets(self, stack: str, secrets: Mapping[str, str]) -> Result:
        """Every secret at once through `scripts/set-secrets` (what the CI workflows run): one
        `pulumi config set --secret` per key, values on stdin."""
        return self._run([str(self.project / "scripts" / "set-secrets"), stack],
                         env={"MONSTACK_SECRETS": json.dumps(dict(secrets))})

    def config_rm(self, stack: str, key: str) -> Result:
        return self.pulumi("config", "rm", "--path", f"{PROJECT}:{key}", stack=stack)

    def init_stack(self, name: str, from_stack: str, config: Mapping[str, Any] | None = None,
                   remove: Iterable[str] = (), secrets: Mapping[str, str] | None = None) -> None:
        shutil.copyfile(self.project / f"Pulumi.{from_stack}.yaml", self.project / f"Pulumi.{name}.yaml")
        self.pulumi("stack", "init", name)
        for key, value in (config or {}).items():
            self.config_set(name, key, value)
        for key in remove:
            self.config_rm(name, key)
        if secrets:
            self.set_secrets(name, secrets)

    def export(self, stack: str) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "export", stack=stack).stdout)
