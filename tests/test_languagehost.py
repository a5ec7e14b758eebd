"""The stand-in Python language host (harness/languagehost): it speaks the plugin protocol (port on
stdout's first line, gRPC LanguageRuntime, quiet exit on the engine's SIGINT), and it is used only
where no official `pulumi-language-python` is installed."""

from __future__ import annotations

import signal
import subprocess

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

from harness.engine import STAND_IN_HOST_BIN, language_host_dirs


def test_an_official_host_on_path_is_preferred(tmp_path, monkeypatch):
    official = tmp_path / "pulumi-language-python"
    official.write_text("#!/bin/sh\n")
    official.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert language_host_dirs() == []
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert language_host_dirs() == [str(STAND_IN_HOST_BIN)]


@pytest.mark.engine
def test_the_stand_in_speaks_the_plugin_protocol():
    host = subprocess.Popen([str(STAND_IN_HOST_BIN / "pulumi-language-python"), "127.0.0.1:1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(host.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = language_pb2_grpc.LanguageRuntimeStub(channel)
            stub.Handshake(language_pb2.LanguageHandshakeRequest(engine_address="127.0.0.1:2"), timeout=10)
            assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=10).version == "3.272.0"
            # Empty: the engine loads each provider plugin when the program first uses it.
            assert not stub.GetRequiredPlugins(language_pb2.GetRequiredPluginsRequest(), timeout=10).plugins
        host.send_signal(signal.SIGINT)
        assert host.wait(timeout=10) == 0
        assert "Traceback" not in host.stderr.read()
    finally:
        host.kill()
        host.wait()
