"""`scripts/try-local`: the dev stack on this machine's loopback, left up until Ctrl-C (or
`--seconds N`), with its URLs and credentials printed. Everything it starts it stops."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from harness.live.stack import SECRETS, WEB_USER, start_live_stack
from harness.program import shutdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/try-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="stop after this many seconds instead of waiting for Ctrl-C")
    parser.add_argument("--workdir", type=Path, help="where data, logs and the bundle go (default: a new temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="monstack-local-"))
    workdir.mkdir(parents=True, exist_ok=True)
    live = start_live_stack(workdir, log=lambda m: print(f"... {m}", file=sys.stderr))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print(f"Prometheus    {live.prometheus}   (user {WEB_USER}, password {SECRETS['webPassword']})")
        print(f"Alertmanager  {live.alertmanager}")
        print(f"Application   {live.app}/metrics   (POST {live.app}/control {{\"queue\": 30}} to raise the queue)")
        print(f"Webhook sink  http://127.0.0.1:{live.sink.port}/chat and /pager")
        print(f"Bundle        {live.outdir}      logs: {workdir / 'logs'}")
        print("pids          " + ", ".join(f"{name}={p.pid}" for name, p in live.group.processes.items()))
        print("Ctrl-C stops everything." if args.seconds is None else f"Stopping in {args.seconds:g}s.")
        deadline = time.monotonic() + (args.seconds if args.seconds is not None else float("inf"))
        while time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()
        shutdown()
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
