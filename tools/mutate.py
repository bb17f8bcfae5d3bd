"""Mutation testing of the core: does the suite notice when the code is changed?

`make mutate` (or `python -m tools.mutate [MODULE ...]`) runs cosmic-ray over each module listed
in tools/mutation.toml against the tests listed for it, then prints each module's kill rate. A
mutant that survives is either a missing test (write it) or an equivalent mutant (the program
behaves the same); equivalents are listed, with the reason, under `[[equivalent]]` in the same
file and do not count against the rate (nor do mutants of function annotations, which are never
evaluated: see `signature_annotations`). The survivors are written, with their diffs, to
.mutation/survivors.txt.

cosmic-ray changes the module on disk while its tests run; this driver puts the original text
back afterwards whatever happens (Ctrl-C included), and refuses to start on a module with
uncommitted changes, so nothing of a mutant can end up in a commit. It is slow (one test run per
mutant: minutes for a small module, hours for the whole list) and runs one test process at a
time: run it for the module you changed, e.g. `make mutate MODULES=bot/leads/cadence.py`.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import hashlib
import json
import os
import random
import shlex
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "mutation.toml"
WORK = ROOT / ".mutation"
TARGET = 90.0  # percent of (non-equivalent) mutants killed, per module


@dataclass(frozen=True)
class Equivalent:
    module: str
    operator: str
    line: str
    why: str


@dataclass(frozen=True)
class Target:
    """One module and how to judge its mutants: the tests (files or folders), extra pytest
    arguments that narrow them (`-k "not postgres"`), and, for a module too big to run whole on
    this machine, a sample: that many of its mutants drawn at random with a fixed seed, so the
    same sample is drawn again until the code changes. `first` (with `first_args`) are quick
    tests run before the others: most mutants die there in seconds, and the slow tests (a real
    database) run only for the mutants that survive them."""

    module: str
    tests: list[str]
    args: str = ""
    sample: int | None = None
    seed: int = 25
    first: list[str] = field(default_factory=list)
    first_args: str = ""


@dataclass
class Tally:
    module: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[str] | None = None
    skipped: str | None = None  # why it was not measured
    population: int | None = None  # all mutants of the module, when only a sample was run

    @property
    def rate(self) -> float | None:
        judged = self.mutants - self.equivalent
        return 100.0 * self.killed / judged if judged else None


def load() -> tuple[dict[str, Target], list[Equivalent]]:
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    modules = {name: Target(name, list(entry["tests"]), entry.get("args", ""),
                            entry.get("sample"), entry.get("seed", 25),
                            list(entry.get("first", [])), entry.get("first_args", ""))
               for name, entry in data.get("modules", {}).items()}
    equivalents = [Equivalent(e["module"], e["operator"], e["line"].strip(), e["why"])
                   for e in data.get("equivalent", [])]
    return modules, equivalents


def test_command(target: Target) -> str:
    """One test process (two with `first`), stopping at the first failure: a mutant is killed by
    any failing test."""
    def pytest(args: str, tests: list[str]) -> str:
        return (f"{sys.executable} -m pytest -x -q -p no:randomly -p no:cacheprovider -n 0 "
                f"--timeout 300 {args} {' '.join(tests)}")

    if not target.first:
        return pytest(target.args, target.tests)
    return shlex.join(["sh", "-c", f"{pytest(target.first_args, target.first)} && "
                                   f"{pytest(target.args, target.tests)}"])


def uncommitted(module: str) -> bool:
    status = subprocess.run(["git", "status", "--porcelain", "--", module], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    return bool(status.stdout.strip())


def baseline(target: Target) -> float | None:
    """Seconds the unmutated tests take, or None when they fail (a mutant could not be judged)."""
    started = time.monotonic()
    run = subprocess.run(test_command(target), shell=True, cwd=ROOT, capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-2000:], sep="\n", file=sys.stderr)
        return None
    return time.monotonic() - started


def session_config(target: Target, timeout: float) -> str:
    return "\n".join([
        "[cosmic-ray]",
        f'module-path = "{target.module}"',
        f"timeout = {timeout:.0f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(test_command(target))}",  # a TOML basic string
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
    ])


def cosmic_ray(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / args[0]), *args[1:]], cwd=ROOT, check=True)


def forget_survivors(session: Path) -> int:
    """Drop the results of the mutants that survived (stored by enum name), so `cosmic-ray
    exec` runs them again (after new tests were written); returns how many."""
    with sqlite3.connect(session) as db:
        return db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'"
                          " AND worker_outcome != 'SKIPPED'"
                          " AND coalesce(output, '') NOT LIKE 'not run:%'").rowcount


def draw_sample(session: Path, target: Target, in_signature: Callable[[tuple[int, int]], bool]
                ) -> int:
    """Set aside the mutants of function annotations without running them (equivalent by
    construction; left out altogether from a sample), then mark all but `target.sample` of the
    other pending mutants as skipped, the kept ones drawn with `random.Random(target.seed)` from
    the mutants in order of position and operator (stable for one source); returns how many
    mutants there were to draw from."""
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = sorted(db.pending_work_items, key=lambda item: (
            item.mutations[0].start_pos, item.mutations[0].operator_name,
            item.mutations[0].occurrence))
        notes = [i.job_id for i in pending if in_signature(i.mutations[0].start_pos)]
        pending = [i for i in pending if i.job_id not in set(notes)]
        db.set_multiple_results(notes, WorkResult(
            output="not run: a function annotation", test_outcome=TestOutcome.SURVIVED, diff=None,
            worker_outcome=WorkerOutcome.SKIPPED if target.sample is not None
            else WorkerOutcome.NORMAL))
        if target.sample is not None and target.sample < len(pending):
            kept = {item.job_id for item in random.Random(target.seed).sample(pending,
                                                                              target.sample)}
            db.set_multiple_results([i.job_id for i in pending if i.job_id not in kept], WorkResult(
                output=None, test_outcome=None, diff=None, worker_outcome=WorkerOutcome.SKIPPED))
    return len(pending)


def mutate(target: Target, equivalents: list[Equivalent], survivors_only: bool = False) -> Tally:
    module = target.module
    tally = Tally(module)
    if uncommitted(module):
        tally.skipped = "uncommitted changes (commit or stash them first)"
        return tally
    took = baseline(target)
    if took is None:
        tally.skipped = "its tests fail without any mutant"
        return tally
    WORK.mkdir(exist_ok=True)
    stem = module.replace("/", "_").removesuffix(".py")
    config, session = WORK / f"{stem}.toml", WORK / f"{stem}.sqlite"
    config.write_text(session_config(target, max(60.0, 5 * took)), encoding="utf-8")
    source = (ROOT / module).read_bytes()
    digest, seen = hashlib.sha256(source).hexdigest(), WORK / f"{stem}.sha256"
    if survivors_only and not (session.exists() and seen.exists() and seen.read_text() == digest):
        tally.skipped = "no earlier session of this exact source to take the survivors from"
        return tally
    try:
        if survivors_only:
            print(f"{module}: running the {forget_survivors(session)} survivors again")
        else:
            cosmic_ray("cosmic-ray", "init", "--force", str(config), str(session))  # a fresh run
            cosmic_ray("cr-filter-pragma", str(session))  # lines marked `# pragma: no mutate`
            drawn_from = draw_sample(session, target, signature_annotations(source.decode()))
            (WORK / f"{stem}.population").write_text(str(drawn_from))
            seen.write_text(digest)
        cosmic_ray("cosmic-ray", "exec", str(config), str(session))
    finally:
        (ROOT / module).write_bytes(source)  # whatever happened, the real code is back
    text_of_module = source.decode("utf-8")
    lines = text_of_module.splitlines()
    in_signature = signature_annotations(text_of_module)
    tally.survivors = []
    if target.sample is not None:
        tally.population = int((WORK / f"{stem}.population").read_text())
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == "skipped":
                continue
            tally.mutants += 1
            if _killed(result):
                tally.killed += 1
                continue
            spec = item.mutations[0]
            text = lines[spec.start_pos[0] - 1].strip()
            if in_signature(spec.start_pos) or any(
                    e.module == module and fnmatch.fnmatchcase(spec.operator_name, e.operator)
                    and e.line == text for e in equivalents):
                tally.equivalent += 1
            else:
                tally.survivors.append(f"{module}:{spec.start_pos[0]} {spec.operator_name}\n"
                                       f"{result.diff or text}")
    return tally


def signature_annotations(source: str) -> Callable[[tuple[int, int]], bool]:
    """Whether a position lies in a function's parameter or return annotation, in a module with
    `from __future__ import annotations`: there an annotation is a string nobody evaluates at
    run time (`datetime | None` mutated to `datetime % None` changes nothing), so such mutants are
    equivalent by construction; so are the field annotations of a plain `@dataclass`. Other
    class and variable annotations are not included: pydantic and SQLModel do evaluate those."""
    tree = ast.parse(source)
    future = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                 and any(alias.name == "annotations" for alias in node.names) for node in tree.body)
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    if future:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                         *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]
                notes = [a.annotation for a in every if a.annotation is not None]
                if node.returns is not None:
                    notes.append(node.returns)
                # a local variable's annotation (`means: dict[str, float | None] = {}`) is never
                # evaluated at all
                notes += [n.annotation for n in ast.walk(node) if isinstance(n, ast.AnnAssign)]
                spans += [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0))
                          for n in notes]
            elif isinstance(node, ast.ClassDef) and any(_is_dataclass(d) for d in node.decorator_list):
                # a plain dataclass reads its fields' annotations as strings, only to spot
                # ClassVar and InitVar: a mutated `float | None` changes nothing
                spans += [((n.annotation.lineno, n.annotation.col_offset),
                           (n.annotation.end_lineno or n.annotation.lineno,
                            n.annotation.end_col_offset or 0))
                          for n in node.body if isinstance(n, ast.AnnAssign)]

    def inside(position: tuple[int, int]) -> bool:
        return any(start <= tuple(position) < end for start, end in spans)

    return inside


def _is_dataclass(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "dataclass") or (
        isinstance(target, ast.Attribute) and target.attr == "dataclass")


def _killed(result: WorkResult) -> bool:
    return result.test_outcome in (TestOutcome.KILLED, TestOutcome.INCOMPETENT)


def report(tallies: list[Tally]) -> bool:
    """Print the table; whether every measured module reached the target."""
    print(f"\n{'module':<34} {'mutants':>7} {'killed':>6} {'equiv':>5} {'survived':>8} "
          f"{'rate':>6}  sample")
    ok = True
    for t in tallies:
        if t.skipped:
            print(f"{t.module:<34} skipped: {t.skipped}")
            ok = False
            continue
        rate = t.rate
        shown = "-" if rate is None else f"{rate:.1f}%"
        sample = "all" if t.population is None else f"{t.mutants} of {t.population}"
        survived = t.mutants - t.killed - t.equivalent
        print(f"{t.module:<34} {t.mutants:>7} {t.killed:>6} {t.equivalent:>5} {survived:>8} "
              f"{shown:>6}  {sample}")
        ok &= rate is None or rate >= TARGET
    survivors = [s for t in tallies for s in (t.survivors or [])]
    WORK.mkdir(exist_ok=True)
    (WORK / "survivors.txt").write_text("\n\n".join(survivors) + "\n", encoding="utf-8")
    if survivors:
        print(f"\n{len(survivors)} surviving mutants (diffs in .mutation/survivors.txt): kill them"
              " with a test, or list them under [[equivalent]] in tools/mutation.toml with why.")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all in the list)")
    parser.add_argument("--survivors", action="store_true",
                        help="run only the mutants that survived the last run (the module's code"
                             " unchanged since), e.g. after writing the tests that kill them")
    args = parser.parse_args(argv)
    modules, equivalents = load()
    chosen = args.modules or list(modules)
    unknown = [m for m in chosen if m not in modules]
    if unknown:
        parser.error(f"not in tools/mutation.toml: {', '.join(unknown)}")
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")  # no stale .pyc of a mutant
    tallies = [mutate(modules[m], equivalents, args.survivors) for m in chosen]
    return 0 if report(tallies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
