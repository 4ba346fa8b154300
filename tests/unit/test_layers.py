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


def test_imports_run_one_way():
    wrong = []
    for module, imported in _imports().items():
        here = _layer(module)
        for other in imported:
            there = _layer(other)
            if there != here and (RANK[there] >= RANK[here] and there != "root"):
                wrong.append(f"{module} ({here}) imports {other} ({there})")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_layer_rule_catches_a_wrong_import():
    """The test above can fail: a laws module importing training is against the order."""
    assert RANK[_layer("scalinglaws.training.model")] >= RANK[_layer("scalinglaws.laws.chinchilla")]
    assert _layer("scalinglaws.commands") == "cli" and _layer("scalinglaws") == "root"


def test_no_import_cycles():
    graph = _imports()
    # package __init__ modules import nothing here, so a cycle is between real modules
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


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
