"""YAML and JSON configs as occurrences.

Every scalar is a ``config-key`` occurrence (its last key, dotted path and value), so rules
name the keys of DeepSpeed, accelerate, Hydra/OmegaConf or Lightning configs as data. Also:

* ``env``: a key, or a ``NAME=value`` / ``name: NAME`` scalar, spelling a variable name
  (compose ``environment:``, Kubernetes ``env:``, CI ``env:`` maps);
* ``image``: the value of ``image`` / ``container`` keys (compose, Kubernetes, CI);
* shell: values of ``run``/``script``/``command``/``entrypoint`` keys go through ``shell.scan``
  (CI steps, compose commands);
* ``environment.yml``: the items of ``dependencies`` (and its ``pip`` list) are
  requirements, the ``channels`` are indexes.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Iterator

from portlint.kinds import _CUDA_PART, _NAME_PARTS, VARIANTS, jsonspan, shell
from portlint.kinds.matching import Occurrence, could_match, find
from portlint.kinds.requirements import requirement_occurrence
from portlint.kinds.yamlscan import Entry, entries

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

KINDS = ("config-key", "env", "image", "command", "requirement", "index")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_ENV_ASSIGN = re.compile(r"([A-Z_][A-Z0-9_]*)=")
_SHELL_KEYS = frozenset({"run", "script", "before_script", "after_script", "command", "entrypoint", "cmd"})
_IMAGE_KEYS = frozenset({"image", "container", "base_image", "docker_image"})
_MATRIX = re.compile(r"(?:^|\.)matrix(?:\.|$)")
_CONDA_FILES = ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml")
_GPUS_OPTION = re.compile(r"(?:^|\s)--gpus[\s=]")
_CUDA_IMAGE = re.compile(r"(?i)nvidia|cuda")
# A runner label naming a GPU, or an NVIDIA data-centre GPU model (`L20x8`: eight L20s).
_GPU_LABEL = re.compile(r"(?i)nvidia|cuda|(?<![a-z0-9])(?:gpus?|a100|a10g?|a800|h100|h200|h800|h20|l4|l20|l40s?|t4"
                        r"|v100|b200|gb200|rtx\d*)(?:x\d+)?(?![a-z0-9])")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def check(text: str, path: str, index: "RuleIndex", kind: str = "yaml", **_: object) -> "list[Finding] | None":
    if not could_match(text, index, KINDS):
        return None
    if kind == "json":
        try:
            tree = jsonspan.parse(text)
        except ValueError:
            return []  # not JSON (JSON with comments, a template ...): not a config we can read
        found = list(json_entries(tree))
    else:
        found = list(entries(text))
    conda = os.path.basename(path).lower() in _CONDA_FILES
    ci = _ci_of(path)
    nvidia = _nvidia_jobs(found, ci) if ci else frozenset()
    if nvidia:  # (what makes the job NVIDIA's, its image and runner, is still reported, unless
        # the job is the CUDA variant of a job kept for another backend: `build_cuda` beside `build_cpu`)
        variants = _variant_jobs(nvidia, found, VARIANTS.get(index.target, VARIANTS["npu"]))
        found = [entry for entry in found if _job_of(entry) not in nvidia
                 or (_hardware(entry, ci) and _job_of(entry) not in variants)]
    return find(occurrences(found, text, conda), text, path, index)


def _ci_of(path: str) -> str | None:
    """The CI service whose job file ``path`` is: ``github`` (``.github/workflows/``),
    ``circleci`` (``.circleci/``), or None."""
    slashed = "/" + path.replace(os.sep, "/")
    if "/.github/workflows/" in slashed:
        return "github"
    if "/.circleci/" in slashed:
        return "circleci"
    return None


def _job_of(entry: Entry) -> str | None:
    parts = entry.path.split(".", 2)
    return parts[1] if len(parts) > 1 and parts[0] == "jobs" else None


def _literal_labels(value: str) -> str:
    """The labels a ``runs-on`` value names as written: in an expression (``${{ inputs.runner
    || 'L20x8' }}``) only its quoted literals."""
    if "${{" not in value:
        return value
    return " ".join(a or b for a, b in _QUOTED.findall(value))


def _hardware(entry: Entry, ci: str = "github") -> bool:
    """The entry names a job's runner or container image (CircleCI: its ``resource_class``,
    its ``machine`` or ``docker`` image)."""
    part = entry.path.split(".")[2:3]
    if ci == "circleci":
        return part == ["resource_class"] or (part in (["machine"], ["docker"]) and entry.key in _IMAGE_KEYS)
    return part == ["runs-on"] or (part == ["container"] and entry.key in _IMAGE_KEYS)


def _nvidia_jobs(found: list[Entry], ci: str) -> frozenset[str]:
    """The jobs of a CI file that run on NVIDIA GPUs by design. GitHub Actions: a container
    started with ``--gpus`` (the NVIDIA container toolkit), a CUDA image, or a runner label
    naming a GPU; CircleCI: a GPU ``resource_class`` (``gpu.nvidia.small``) or a CUDA
    ``machine``/``docker`` image (``linux-cuda-11:default``). Such a job is the CUDA variant
    of the project's CI; what it sets (``CUDA_VISIBLE_DEVICES``) and runs (``docker run
    --gpus all``) is right where it runs, and an NPU job is a job of its own."""
    jobs = set()
    for entry in found:
        parts = entry.path.split(".")
        if len(parts) < 3 or parts[0] != "jobs":
            continue
        part, key, value = parts[2], entry.key, entry.value
        if ci == "circleci":
            if (part == "resource_class" and _GPU_LABEL.search(value)) \
                    or (part in ("machine", "docker") and key in _IMAGE_KEYS and _CUDA_IMAGE.search(value)):
                jobs.add(parts[1])
        elif (part == "container" and ((key == "options" and _GPUS_OPTION.search(value))
                                       or (key in ("image", "container") and _CUDA_IMAGE.search(value)))) \
                or (part == "runs-on" and _GPU_LABEL.search(_literal_labels(value))):
            jobs.add(parts[1])
    return frozenset(jobs)


def _variant_jobs(nvidia: frozenset[str], found: list[Entry], accelerators: tuple[str, ...]) -> frozenset[str]:
    """The NVIDIA jobs whose name is the CUDA variant of another job of the file, as the
    names of files are (``build_cuda`` beside ``build_cpu``, ``build_cu102`` beside
    ``build_cpu_py``, ``test-gpu`` beside ``test-npu``): the name with its ``cuda``, ``gpu``,
    ``nvidia`` or ``cuNNN`` part replaced by one of ``accelerators`` (the target's
    siblings: for the npu target an NPU job, for agnostic a CPU job too) begins the other
    job's name (the whole name when the CUDA part comes first: ``gpu_tests`` beside
    ``cpu_tests``, not beside ``cpu_lint``). Such a job, its CUDA image included, is the CUDA
    member of a set of variants."""
    names = {parts[1] for parts in (entry.path.split(".", 2) for entry in found)
             if len(parts) > 1 and parts[0] == "jobs"}
    split = {tuple(_NAME_PARTS.split(name.lower())) for name in names}
    variants = set()
    for job in nvidia:
        parts = _NAME_PARTS.split(job.lower())
        for n, part in enumerate(parts):
            if not _CUDA_PART.fullmatch(part):
                continue
            for accelerator in accelerators:
                named = (*parts[:n], accelerator)
                if (*named, *parts[n + 1:]) in split or (n and any(other[:n + 1] == named for other in split)):
                    variants.add(job)
    return frozenset(variants)


def json_entries(node: jsonspan.Node, path: str = "", key: str = "") -> Iterator[Entry]:
    if node.members:
        for name, _, child in node.members:
            yield from json_entries(child, f"{path}.{name}" if path else name, name)
    elif node.items:
        for child in node.items:
            if child.kind == "scalar":
                yield _json_scalar(child, path, key, item=True)
            else:
                yield from json_entries(child, path, key)
    elif node.kind == "scalar":
        yield _json_scalar(node, path, key)


def _json_scalar(node: jsonspan.Node, path: str, key: str, item: bool = False) -> Entry:
    value = node.value
    quoted = isinstance(value, str)
    text = value if quoted else ("true" if value is True else "false" if value is False
                                 else "null" if value is None else str(value))
    start, end = (node.start + 1, node.end - 1) if quoted else (node.start, node.end)
    return Entry(path, key, text, start, end, item=item)


def occurrences(found: list[Entry], text: str, conda: bool) -> Iterator[Occurrence]:
    for entry in found:
        key, value = entry.key, entry.value
        if not _MATRIX.search(entry.path):  # a CI matrix lists variants; it selects nothing
            yield Occurrence("config-key", value, entry.start, entry.end, key=key, path=entry.path)
        if not entry.item and _ENV_NAME.fullmatch(key):
            position = text.rfind(key, 0, entry.start)
            if position != -1:
                yield Occurrence("env", key, position, position + len(key))
        assigned = _ENV_ASSIGN.match(value)
        if assigned is not None:
            yield Occurrence("env", assigned.group(1), entry.start, entry.start + assigned.end(1))
        elif key == "name" and _ENV_NAME.fullmatch(value):
            yield Occurrence("env", value, entry.start, entry.end)
        if key in _IMAGE_KEYS and not entry.block:
            yield Occurrence("image", value, entry.start, entry.end)
        if key in _SHELL_KEYS and text[entry.start:entry.end] == value:
            yield from shell.scan(value, entry.start)
        if conda and entry.item:
            top = entry.path.split(".", 1)[0]
            if top == "dependencies":
                occurrence = requirement_occurrence(value, entry.start)
                if occurrence is not None:
                    yield occurrence
            elif top == "channels":
                yield Occurrence("index", value, entry.start, entry.end)
