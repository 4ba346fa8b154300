"""The package's layers stay layers: imports run one way, there is no import cycle, and
what the Snakefile imports (the experiment layer) pulls in neither torch, pandas nor
matplotlib (every workflow start would pay for them).

    cli, commands  →  analysis  →  experiment  →  laws, training  →  the package root

A module may import from its own layer and from any layer to its right; laws and training
never import each other. Imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "scalinglaws"
RANK = {"root": 0, "laws": 1, "training": 1, "experiment": 2, "analysis": 3, "cli": 4}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in RANK:
        return parts[1]
    if len(parts) > 1 and parts[1] in ("cli", "commands", "__main__"):
        return "cli"
    return "root"


def _imports() -> dict[str, set[str]]:
    """Each module of the package → the package modules it imports (anywhere in it)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    out = {}
    for name, path in modules.items():
        found = set()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                    )
                # `from scalinglaws.training import checkpoint` imports a module
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        out[name] = {m for m in found if m in modules and m != name}
    return out


def _against_the_order(imports: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, imported in imports.items():
        here = _layer(module)
        for other in imported:
            there = _layer(other)
            if there != here and there != "root" and RANK[there] >= RANK[here]:
                wrong.append(f"{module} ({here}) imports {other} ({there})")
    return sorted(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_imports_run_one_way():
    wrong = _against_the_order(_imports())
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    cycles = _cycles(_imports())
    assert not cycles, "\n".join(cycles)


def test_the_checks_catch_a_wrong_import_and_a_cycle():
    """The two tests above can fail: on made-up imports, each finds what it looks for."""
    assert _against_the_order({"scalinglaws.laws.fit": {"scalinglaws.training.model", "scalinglaws"}}) == [
        "scalinglaws.laws.fit (laws) imports scalinglaws.training.model (training)"
    ]
    assert _against_the_order({"scalinglaws.experiment.sweep": {"scalinglaws.analysis.points"}})
    assert not _against_the_order(
        {"scalinglaws.commands": {"scalinglaws.analysis.points", "scalinglaws.training.loop"}}
    )
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a → b → c → a"]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert len(_imports()) > 30 and _imports()["scalinglaws.experiment.sweep"]  # the real graph has edges


def test_the_experiment_layer_imports_no_torch_pandas_or_matplotlib():
    experiment = sorted(_module(p) for p in (PACKAGE / "experiment").glob("*.py"))
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in experiment)
        + ("print(' '.join(m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules))")
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "", f"importing the experiment layer imported {r.stdout.strip()}"
    assert len(experiment) >= 5  # the layer is really there
