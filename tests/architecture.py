"""The package's shape, checked by `make lint` (import-linter) and shown by `make imports`.

`AcyclicContract` is an import-linter contract type: no import cycle between any two modules
of the named packages, counting imports inside functions too (they hide a cycle, they don't
remove it). `python -m tests.architecture` prints which top-level parts import which, and
any module cycle, so a change's effect on the layering can be compared before and after.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def module_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Return the strongly connected groups of more than one module inside `package`."""
    inside = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in inside}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(root: str) -> None:  # Tarjan's algorithm, iterative: no recursion limit
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for module in sorted(inside):
        if module not in index:
            visit(module)
    return sorted(groups)


class AcyclicContract(Contract):
    """No module of the containers imports, directly or not, a module that imports it."""

    type_name = "acyclic"
    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        found = {}
        for container in self.containers:  # type: ignore[attr-defined]
            groups = module_cycles(graph, str(container))
            if groups:
                found[str(container)] = [
                    {m: sorted(graph.find_modules_directly_imported_by(m) & set(g)) for m in g}
                    for g in groups
                ]
        return ContractCheck(kept=not found, metadata={"cycles": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for container, groups in check.metadata["cycles"].items():
            for group in groups:
                output.print_error(f"Import cycle in {container} between {len(group)} modules:")
                for module, imported in group.items():
                    output.print(f"    {module} -> {', '.join(imported)}")
                output.new_line()


def main(package: str = "returns_portal") -> int:
    graph = grimp.build_graph(package)
    uses: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            other = imported.split(".")
            if len(other) >= 2 and other[1] != parts[1]:
                uses[parts[1]].add(other[1])
    print(f"Which parts of {package} import which (imports inside functions included):")
    for part in sorted(uses):
        print(f"  {part:14} -> {', '.join(sorted(uses[part]))}")
    cycles = module_cycles(graph, package)
    print(f"\nModule import cycles: {len(cycles)}")
    for group in cycles:
        print("  " + " <-> ".join(group))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
