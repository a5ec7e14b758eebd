"""The stand-in language host's server (see the package docstring): prints its port as the first
line of stdout, as every Pulumi plugin does, and serves `LanguageRuntime` until the engine stops it
with SIGINT."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from harness.languagehost.runner import BAIL

RUNNER = Path(__file__).resolve().parent / "runner.py"
VERSION = "3.272.0"  # the pinned pulumi SDK this host runs programs with


def program_python(info: language_pb2.ProgramInfo) -> str:
    """The Python of the program's `runtime.options.virtualenv` (relative to its root), as the official
    host picks it; this host's own Python when none is set."""
    options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
    venv = options.get("virtualenv")
    if not venv:
        return sys.executable
    path = Path(venv) if Path(venv).is_absolute() else Path(info.root_directory) / venv
    return str(path / "bin" / "python")


def _pump(stream, field: str, lines: queue.Queue) -> None:
    for line in iter(stream.readline, b""):
        lines.put(language_pb2.RunPluginResponse(**{field: line}))
    lines.put(None)


class StandInLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str):
        self.engine_address = engine_address

    def Handshake(self, request, context):  # noqa: N802 - gRPC method names
        self.engine_address = request.engine_address or self.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):  # noqa: N802
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetRequiredPlugins(self, request, context):  # noqa: N802
        # Empty: the engine then loads each provider when the program first uses it.
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request, context):  # noqa: N802
        return language_pb2.GetRequiredPackagesResponse()

    def GetProgramDependencies(self, request, context):  # noqa: N802
        return language_pb2.GetProgramDependenciesResponse()

    def About(self, request, context):  # noqa: N802
        return language_pb2.AboutResponse(executable=sys.executable, version=sys.version.split()[0],
                                          metadata={"host": "monstack stand-in (harness/languagehost)"})

    def InstallDependencies(self, request, context):  # noqa: N802
        # `scripts/setup` installs the virtualenv; nothing to stream.
        return iter(())

    def Run(self, request, context):  # noqa: N802
        info = request.info
        env = dict(os.environ,
                   PULUMI_CONFIG=json.dumps(dict(request.config)),
                   PULUMI_CONFIG_SECRET_KEYS=json.dumps(list(request.configSecretKeys)))
        program = str(Path(info.program_directory) / (info.entry_point or "."))
        args = [request.monitor_address, self.engine_address, request.project, request.stack,
                str(request.parallel), "true" if request.dryRun else "false", request.organization,
                info.root_directory, program]
        code = subprocess.call([program_python(info), "-u", str(RUNNER), *args], cwd=request.pwd or None, env=env)
        if code == 0:
            return language_pb2.RunResponse()
        if code == BAIL:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"the program exited with code {code}")

    def RunPlugin(self, request, context) -> Iterator[language_pb2.RunPluginResponse]:  # noqa: N802
        """Runs a plugin written in Python (here: a CrossGuard policy pack, kind "analyzer") and
        streams its output lines, then its exit code."""
        info = request.info
        env = dict(os.environ, **dict(item.split("=", 1) for item in request.env))
        process = subprocess.Popen([program_python(info), "-u", info.program_directory, *request.args],
                                   cwd=request.pwd or info.program_directory, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines: queue.Queue = queue.Queue()
        for stream, field in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            threading.Thread(target=_pump, args=(stream, field, lines), daemon=True).start()
        open_streams = 2
        while open_streams:
            line = lines.get()
            if line is None:
                open_streams -= 1
            else:
                yield line
        yield language_pb2.RunPluginResponse(exitcode=process.wait())

    def Cancel(self, request, context):  # noqa: N802
        return empty_pb2.Empty()


def main(argv: list[str]) -> None:
    # The engine stops its plugins with SIGINT; leave without a KeyboardInterrupt traceback in its output.
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    positional = [a for a in argv if not a.startswith("-")]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(StandInLanguageHost(positional[-1] if positional else ""), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main(sys.argv[1:])
