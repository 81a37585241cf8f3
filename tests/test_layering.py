"""The layering of docs/architecture.md, checked on the source: imports go one way, slack -> store -> engines ->
tools -> market, and only slack/ speaks Slack, only engines/ speaks OpenAI.

Read with `ast`, not by importing, so an import inside a function or under TYPE_CHECKING counts as well.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

OILFX = Path(__file__).resolve().parent.parent / "oilfx"
MAX_LINES = 300

# Lowest first; a module may import its own layer and any layer below, never one above.
# The shared bottom (config, logs, i18n: the languages users read) imports nothing above it, so every layer may
# use it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("shared", ("oilfx.config", "oilfx.config_values", "oilfx.logs", "oilfx.metrics", "oilfx.i18n")),
    ("market", ("oilfx.market",)),
    # charts draw market series (matplotlib, Agg); the slack layer and the CLI attach them
    ("charts", ("oilfx.charts",)),
    # a tool's result types and reading its figures belong with the tools that write them
    ("tools", ("oilfx.tools", "oilfx.figures")),
    # the guard checks an engine's answer against that turn's tool results (engines.base types)
    ("engines", ("oilfx.engines", "oilfx.guard")),
    ("store", ("oilfx.store",)),
    # alerts and digests: checks on a schedule, claims in the store, posts through a Poster (knows no Slack)
    ("alerts", ("oilfx.alerts",)),
    # wiring: Settings -> store, market, tools, engine; what the Slack layer is handed, knowing no Slack
    ("services", ("oilfx.services", "oilfx.health", "oilfx.health_http")),
    ("slack", ("oilfx.slack",)),
    # entry points: the CLI and `python -m oilfx`; nothing in oilfx imports them
    ("entry", ("oilfx.cli", "oilfx.__main__")),
]
# Third-party SDKs and the only layer allowed to import each.
SDK_OWNERS = {"slack_sdk": "oilfx.slack", "slack_bolt": "oilfx.slack", "openai": "oilfx.engines"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted and absolute
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(OILFX.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package[:len(package) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from oilfx import tools` imports the module oilfx.tools, not the package oilfx
            found += [Import(module, f"{base}.{alias.name}" if base == "oilfx" else base, node.lineno)
                      for alias in node.names]
    return found


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the longest prefix that matches; None: a module no layer names."""
    if module == "oilfx":  # the package's __init__: a docstring, wired by nobody
        return len(LAYERS) - 1
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def all_modules() -> list[Path]:
    return sorted(OILFX.rglob("*.py"))


def all_imports() -> list[Import]:
    return [imp for path in all_modules() for imp in imports_of(path)]


def test_every_module_sits_in_a_layer() -> None:
    unplaced = [module_name(p) for p in all_modules() if layer_of(module_name(p)) is None]
    assert not unplaced, (f"{unplaced}: name their layer in LAYERS (tests/test_layering.py) and in "
                          f"docs/architecture.md")


def test_no_import_goes_up_a_layer() -> None:
    upward = []
    for imp in all_imports():
        if not imp.target.startswith("oilfx"):
            continue
        source, target = layer_of(imp.module), layer_of(imp.target)
        if source is not None and target is not None and target > source:
            upward.append(f"{imp.module}:{imp.line} ({LAYERS[source][0]}) imports {imp.target} "
                          f"({LAYERS[target][0]})")
    assert not upward, "imports going up a layer:\n" + "\n".join(upward)


def test_the_shared_bottom_imports_nothing_of_oilfx() -> None:
    found = [f"{imp.module}:{imp.line} imports {imp.target}" for imp in all_imports()
             if layer_of(imp.module) == 0 and imp.target.startswith("oilfx") and layer_of(imp.target) != 0]
    assert not found, found


@pytest.mark.parametrize("sdk", sorted(SDK_OWNERS))
def test_only_its_layer_imports_the_sdk(sdk: str) -> None:
    owner = SDK_OWNERS[sdk]
    found = [f"{imp.module}:{imp.line} imports {imp.target}" for imp in all_imports()
             if (imp.target == sdk or imp.target.startswith(sdk + "."))
             and not (imp.module == owner or imp.module.startswith(owner + "."))]
    assert not found, f"only {owner} may import {sdk}:\n" + "\n".join(found)


def test_the_checker_sees_what_it_must() -> None:
    """The rules above pass vacuously if the parser misses imports: pin a few known edges."""
    targets = {(imp.module, imp.target) for imp in all_imports()}
    assert ("oilfx.services", "oilfx.store") in targets
    assert any(m.startswith("oilfx.slack") and t.startswith("slack_bolt") for m, t in targets)
    assert any(m.startswith("oilfx.engines") and t == "openai" for m, t in targets)
    assert layer_of("oilfx.market.sources.opinet") < layer_of("oilfx.tools") < layer_of("oilfx.engines.loop") \
        < layer_of("oilfx.store.base") < layer_of("oilfx.slack.app")


def test_no_module_is_over_300_lines() -> None:
    long = {str(p.relative_to(OILFX)): n for p in all_modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
