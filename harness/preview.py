"""Offline preview: run the real program under mocks with one stack's config file and write
what it would deploy.

    OUTDIR/<bundle-dir>/...     every file uploaded into a container's config volume (Docker), or
                                projected from ConfigMaps and Secrets into a pod (Kubernetes)
                                (prometheus/, alertmanager/, grafana/, exporters/<name>/)
    OUTDIR/kubernetes/*.yaml    every Kubernetes manifest (Kubernetes stacks), Secret values masked
    OUTDIR/resources.json       every declared resource: type, name, parent, inputs (secrets masked)

The files come from the declared resources, not from a second rendering, so the preview shows
exactly what `pulumi up` would upload. Secret values never reach OUTDIR: a secret property
is written as "[secret]" in resources.json, and every stand-in secret value is masked.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from components.platforms.kube.pods import BUNDLE_DIR_ANNOTATION, CLUSTER_FILES_ANNOTATION, FILES_ANNOTATION
from config.errors import SettingsError
from harness.mocks import Record, unwrap
from harness.program import ProgramRun, run_program, shutdown
from harness.stackfile import PLACEHOLDER_PREFIX, StackConfig, fill_missing_secrets, read_stack_file

MASK = "********"
SECRET_PROPERTY = "[secret]"
# Stand-in secret values: placeholders of the preview and passwords the mocks "generate".
_SECRET_VALUE = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"[A-Za-z0-9]+|generated-[0-9a-f]{24}")


def mask_text(text: str) -> str:
    return _SECRET_VALUE.sub(MASK, text)


def _mask_data(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_data(v) for v in value]
    return value


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


# Kubernetes objects that carry a service's files, with the property that holds them.
_FILE_CARRIERS = {"ConfigMap": "data", "Secret": "stringData"}
_CLUSTER_FILE = "# provided by Kubernetes at run time (projected service account token or cluster CA)\n"


def manifests(records: list[Record]) -> list[dict[str, Any]]:
    """Every Kubernetes object the program declares, as plain data (what the provider applies)."""
    return [unwrap(r.inputs) for r in records
            if r.type.startswith("kubernetes:") and "kind" in r.inputs and "apiVersion" in r.inputs]


def _kubernetes_files(manifest: dict[str, Any]) -> dict[str, str]:
    """Files a ConfigMap, Secret or ExternalSecret projects into a pod's config directory,
    found by the annotations the Kubernetes platform puts on them."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    bundle_dir = annotations.get(BUNDLE_DIR_ANNOTATION)
    if not bundle_dir:
        return {}
    kind = manifest["kind"]
    if kind == "ExternalSecret":
        content = manifest["spec"]["target"]["template"]["data"]
    else:
        content = manifest.get(_FILE_CARRIERS.get(kind, ""), {}) or {}
    out = {f"{bundle_dir}/{path}": mask_text(content[key])
           for key, path in json.loads(annotations.get(FILES_ANNOTATION, "{}")).items() if key in content}
    for path in json.loads(annotations.get(CLUSTER_FILES_ANNOTATION, "[]")):
        out[f"{bundle_dir}/{path}"] = _CLUSTER_FILE
    return out


def manifest_files(records: list[Record]) -> dict[str, str]:
    """kubernetes/<kind>-<name>.yaml -> the manifest, Secret values masked, keys sorted."""
    out = {}
    for manifest in manifests(records):
        if manifest["kind"] == "Secret":
            for prop in ("data", "stringData"):
                if prop in manifest:
                    manifest[prop] = {k: MASK for k in manifest[prop]}
        manifest = _mask_data(manifest)
        name = manifest["metadata"]["name"]
        out[f"kubernetes/{manifest['kind'].lower()}-{name}.yaml"] = yaml.safe_dump(manifest, sort_keys=True)
    return dict(sorted(out.items()))


def bundle_files(records: list[Record], mask: bool = True) -> dict[str, str]:
    """OUTDIR-relative path -> content of every file a service finds in its config dir: uploaded
    into a container (Docker) or projected from ConfigMaps and Secrets (Kubernetes).
    `mask=False` (Docker uploads) is for the live harness only, whose secrets are its own test values."""
    files: dict[str, str] = {}
    for manifest in manifests(records):
        files.update(_kubernetes_files(manifest))
    for record in records:
        if record.type != "docker:index/container:Container":
            continue
        inputs = unwrap(record.inputs)
        labels = {item["label"]: item["value"] for item in inputs.get("labels", [])}
        bundle_dir, config_dir = labels.get("monstack.bundle-dir"), labels.get("monstack.config-dir")
        if not bundle_dir or not config_dir:
            continue
        for upload in inputs.get("uploads", []):
            relative = upload["file"].removeprefix(config_dir.rstrip("/") + "/")
            content = upload.get("content", "")
            files[f"{bundle_dir}/{relative}"] = mask_text(content) if mask else content
    files.update(api_dashboard_files(records))
    return dict(sorted(files.items()))


def api_dashboard_files(records: list[Record]) -> dict[str, str]:
    """Dashboards declared through an external Grafana's API (`grafana.manageByApi`), at the path
    the stack's own Grafana provisions them from: grafana/dashboards/<folder title>/<uid>.json."""
    titles = {unwrap(r.inputs).get("uid"): unwrap(r.inputs).get("title")
              for r in records if r.type == "grafana:oss/folder:Folder"}
    files = {}
    for record in records:
        if record.type == "grafana:oss/dashboard:Dashboard":
            inputs = unwrap(record.inputs)
            uid = json.loads(inputs["configJson"])["uid"]
            files[f"grafana/dashboards/{titles[inputs['folder']]}/{uid}.json"] = mask_text(inputs["configJson"])
    return files


def resource_list(records: list[Record]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        out.append({
            "type": record.type,
            "name": record.name,
            "parent": _name_of(record.parent),
            "protect": record.protect,
            "retainOnDelete": record.retain_on_delete,
            "inputs": _mask_data(unwrap(record.inputs, mask=SECRET_PROPERTY)),
        })
    return sorted(out, key=lambda r: (r["parent"], r["type"], r["name"]))


def print_table(resources: list[dict[str, Any]], out=sys.stdout) -> None:
    widths = [max(len(r[k]) for r in resources) for k in ("type", "name")]
    print(f"{'TYPE':<{widths[0]}}  {'NAME':<{widths[1]}}  PARENT", file=out)
    for r in resources:
        flag = "  (protected)" if r["protect"] else ""
        print(f"{r['type']:<{widths[0]}}  {r['name']:<{widths[1]}}  {r['parent'] or '-'}{flag}", file=out)
    print(f"{len(resources)} resources", file=out)


def _clear(outdir: Path) -> None:
    """Empty OUTDIR, but only if it is empty or a previous preview (never a user's folder)."""
    if not outdir.exists():
        return
    if any(outdir.iterdir()) and not (outdir / "resources.json").exists():
        raise SystemExit(f"{outdir} is not empty and holds no previous preview; choose another OUTDIR")
    shutil.rmtree(outdir)


def write_preview(run: ProgramRun, outdir: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    files = bundle_files(run.records) | manifest_files(run.records)
    resources = resource_list(run.records)
    _clear(outdir)
    for path, content in files.items():
        target = outdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    (outdir / "grafana" / "dashboards").mkdir(parents=True, exist_ok=True)
    (outdir / "resources.json").write_text(json.dumps(resources, indent=2, sort_keys=True) + "\n")
    return files, resources


def prepare_config(stack: str, strict: bool, stack_file: Path | None = None) -> StackConfig:
    config = read_stack_file(stack, stack_file)
    if not strict:
        fill_missing_secrets(config)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/preview", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--strict", action="store_true",
                        help="fail on an absent secret, as `pulumi up` does, instead of using a placeholder")
    parser.add_argument("--stack-file", type=Path, help="read this file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--quiet", action="store_true", help="do not print the resource table")
    args = parser.parse_args(argv)

    config = prepare_config(args.stack, args.strict, args.stack_file)
    for key, why in sorted(config.placeholders.items()):
        print(f"placeholder for secret '{key}': {why} (masked in everything written)", file=sys.stderr)
    try:
        run = run_program(args.stack, config.values, config.secret_keys)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    files, resources = write_preview(run, args.outdir)
    if not args.quiet:
        print_table(resources)
    print(f"wrote {len(files)} files and resources.json to {args.outdir}")
    return 0


def cli() -> None:
    """Entry point of scripts/preview: one run per process, then close the event loop."""
    try:
        code = main()
    finally:
        shutdown()
    sys.exit(code)
