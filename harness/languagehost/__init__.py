"""A STAND-IN for Pulumi's Python language host (`pulumi-language-python`), used only by the
tests and scripts of this project, and only where the official plugin is absent.

Why it exists: the Pulumi CLI runs a Python program through the `pulumi-language-python` plugin,
a Go program. This machine builds Go only from modules the Go proxy serves, and it refuses
`github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3` at every version, so the
official host cannot be built here. This package is the smallest host that runs the program the
way the official one does: a gRPC `LanguageRuntime` server on the stubs shipped in the `pulumi`
wheel, which starts the project's virtualenv Python with the stack's config and secret keys
(`PULUMI_CONFIG`, `PULUMI_CONFIG_SECRET_KEYS`) and runs `run_in_stack(runpy.run_path(program))`.
It also runs CrossGuard policy packs (`RunPlugin`). It installs nothing, generates no code and
answers `about` minimally.

Users keep the official host: `harness.engine` puts `bin/pulumi-language-python` (this package's
launcher) on the PATH of the CLI it runs only when no `pulumi-language-python` is found on PATH.
"""
