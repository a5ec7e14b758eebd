"""The program side of the stand-in language host: runs in the project's virtualenv Python, in a
child process per `Run`, as the official host's exec shim does.

    python runner.py MONITOR ENGINE PROJECT STACK PARALLEL DRY_RUN ORGANIZATION ROOT PROGRAM

Config and secret keys arrive as `PULUMI_CONFIG` / `PULUMI_CONFIG_SECRET_KEYS` (JSON), the way the
official host passes them. Exit code 32 means "the error was already reported to the engine".
This file imports only `pulumi` and the standard library, since the program's own virtualenv runs it.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import signal
import sys
import traceback

import pulumi
from pulumi.runtime import config as runtime_config

# The exit code that tells the host the program failed and already logged why (the engine's "bail").
BAIL = 32


def main(argv: list[str]) -> int:
    monitor, engine, project, stack, parallel, dry_run, organization, root, program = argv
    # The engine interrupts the program (SIGINT to the host's process group) when it stops early,
    # after reporting why; leave without printing a KeyboardInterrupt traceback into its output.
    signal.signal(signal.SIGINT, lambda *_: os._exit(BAIL))
    pulumi.runtime.set_all_config(runtime_config.get_config_env(), runtime_config.get_config_secret_keys_env())
    pulumi.runtime.configure(pulumi.runtime.Settings(
        project=project, stack=stack, monitor=monitor, engine=engine, parallel=int(parallel),
        dry_run=dry_run == "true", organization=organization or None, root_directory=root))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        return 0
    except pulumi.RunError as error:
        pulumi.log.error(str(error))
    except Exception:  # noqa: BLE001 - any failure of the program is reported to the engine, as the official host does
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return BAIL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
