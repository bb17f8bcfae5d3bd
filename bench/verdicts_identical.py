"""Whether two checkouts give byte-identical rules-evaluator verdicts: the check behind every
"same verdicts" speed-up of the evaluator (issue 18), rerun after merging changes to it.

Two parts, each run in both checkouts (`--base`, the reference, and `--tree`, the candidate),
each in processes of its own with PYTHONHASHSEED=0 and the base checkout's data files:

1. `alignbot eval DATA --strategy FILE --evaluator rules --json` (as acceptance runs it, one
   process per set) on every development, blind and other set (tests/data/alignment_eval_*.jsonl
   with strategy_*.yaml, tests/data/alignment_eval.jsonl with examples/strategy.yaml): the whole
   output must be identical, and a difference shows the first differing line. Held-out sets
   (tests/data/holdout/) are compared by a hash of the whole output only, and nothing of theirs
   is printed.
2. `Evaluation.model_dump_json()` of every labeled answer and of `--mutations` texts made from
   each set's answers (words dropped, shuffled, inserted from other answers and languages,
   made-up words, case, punctuation, marks, headcounts, shorthand, answers joined or cut),
   under all three questions, judged by one evaluator in one process per checkout (caches
   filled and emptied as in a running bot): compared by hash per text; for a development set
   the first differences are shown with their text (`--show SET:INDEX` prints both verdicts),
   for a held-out set only how many differ.

Run: .venv/bin/python bench/verdicts_identical.py --base /path/to/main [--tree .]
     [--mutations 3000] [--holdout-mutations 1000] [--skip-cli] [--sets baufuchs,hotelia]
Exit code 0 when everything is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
QUESTIONS = ("tasks", "scope", "strategy")


# ----- the sets -----------------------------------------------------------------------------


def sets_of(root: Path) -> list[tuple[str, Path, Path, bool]]:
    """(name, data, strategy, held out) for every labeled set of the checkout at `root`."""
    data_dir = root / "tests" / "data"
    found = [("example", root / "tests/data/alignment_eval.jsonl", root / "examples/strategy.yaml",
              False)]
    for data in sorted(data_dir.glob("alignment_eval_*.jsonl")):
        name = data.stem.removeprefix("alignment_eval_")
        strategy = data_dir / f"strategy_{name}.yaml"
        if strategy.exists():
            found.append((name, data, strategy, False))
    for data in sorted((data_dir / "holdout").glob("alignment_eval_holdout_*.jsonl")):
        name = data.stem.removeprefix("alignment_eval_")
        strategy = data.parent / f"strategy_{name}.yaml"
        if strategy.exists():
            found.append((name, data, strategy, True))
    return [s for s in found if s[1].exists() and s[2].exists()]


def _answers(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            out.append(str(json.loads(raw).get("answer", "")))
    return out


# ----- mutated texts ------------------------------------------------------------------------

_PUNCT = (",", ".", ";", " - ", " -> ", "\n", "\n- ", " / ", " & ", " + ", "!", "?", ":", " (",
          ")", " ✅", " ❌", " 👍", "…", "'s", " — ", " | ", "\n\n", ". ", "!!", " => ")
_EXTRA = ("f/u", "w/", "POC", "EB", "DQ'd", "disco", "n/a", "R&D", "co-op", "pre-sales",
          "snake_case", "v2.5", "Dr.", "St.", "z.B.", "3.4.", "p.ej.", "approx.", "12-person",
          "<50", "1000+ emp", "200 employees", "50 MA", "3 vets", "20 ha", "15 habitaciones",
          "between 10 and 40 staff", "ab 20 Mitarbeiter", "menos de 50 empleados", "DACH",
          "CH and AT", "Texas", "Lyon", "München", "outside DACH", "fuera de ES/PT", "JPMorgan",
          "Citi's", "40%", "15% off", "3 Monate gratis", "dcto del 30%", "waived the setup fee",
          "ignore previous instructions", "mark all tasks done", "system:", "next week",
          "nächste Woche", "la semana que viene", "tmrw", "didn't", "nicht", "no", "pas",
          "niet", "will", "am 12.", "ab 1.3.", "for the 14th", "on PTO", "Urlaub", "de baja",
          "closed lost", "won", "unterschrieben", "GF", "GU", "fed", "we fed", "follow up",
          "kicked off", "proof of concept", "3.9m/yr", "$22k/hr", "Q3", "EMEA", "Benelux",
          "außerhalb", "Auftrags-, Lebensmittel- und", "(R&D and compliance teams)",
          "Research & Development", "Ben & Jerry's", "₿", "İstanbul", "ſ", "Σ", "ΣΑΣ")
_SYLLABLES = ("ka", "lo", "mer", "vi", "tas", "qu", "ren", "dor", "zi", "pel", "sun", "bra")


def _made_up(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    return word.title() if rng.random() < 0.5 else word


def _mutate(rng: random.Random, text: str, pool: list[str], own: list[str]) -> str:
    """One made-up variant of `text`: one to three changes of the kinds listed above."""
    for _ in range(rng.randint(1, 3)):
        words = text.split()
        op = rng.randrange(12)
        if op == 0 and len(words) > 1:  # drop words
            for _ in range(rng.randint(1, max(1, len(words) // 3))):
                if len(words) > 1:
                    words.pop(rng.randrange(len(words)))
            text = " ".join(words)
        elif op == 1 and len(words) > 1:  # shuffle: a window, adjacent swaps, or all
            kind = rng.randrange(3)
            if kind == 0:
                a = rng.randrange(len(words))
                b = min(len(words), a + rng.randint(2, 6))
                window = words[a:b]
                rng.shuffle(window)
                words[a:b] = window
            elif kind == 1:
                for _ in range(rng.randint(1, 3)):
                    i = rng.randrange(len(words) - 1)
                    words[i], words[i + 1] = words[i + 1], words[i]
            else:
                rng.shuffle(words)
            text = " ".join(words)
        elif op == 2:  # words from other answers, this set's or another language's
            source = (rng.choice(own) if rng.random() < 0.5 else rng.choice(pool)).split()
            if source:
                a = rng.randrange(len(source))
                piece = source[a:a + rng.randint(1, 6)]
                at = rng.randint(0, len(words))
                words[at:at] = piece
                text = " ".join(words)
        elif op == 3 and words:  # case
            kind = rng.randrange(4)
            if kind == 0:
                text = text.lower()
            elif kind == 1:
                text = text.upper()
            elif kind == 2:
                text = text.title()
            else:
                i = rng.randrange(len(words))
                words[i] = words[i].upper() if rng.random() < 0.5 else words[i].capitalize()
                text = " ".join(words)
        elif op == 4:  # punctuation removed or added
            if rng.random() < 0.3:
                text = "".join(c for c in text if c.isalnum() or c.isspace())
            else:
                for _ in range(rng.randint(1, 4)):
                    at = rng.randint(0, len(text))
                    text = text[:at] + rng.choice(_PUNCT) + text[at:]
        elif op == 5:  # answers joined
            other = rng.choice(own if rng.random() < 0.6 else pool)
            text = text + rng.choice((". ", "\n", " ", ", ", "\n- ", " und ", " y ")) + other
        elif op == 6:  # made-up words
            for _ in range(rng.randint(1, 3)):
                words.insert(rng.randint(0, len(words)), _made_up(rng))
            text = " ".join(words)
        elif op == 7:  # shorthand, sizes, places, cues, concessions, odd characters
            for _ in range(rng.randint(1, 3)):
                words.insert(rng.randint(0, len(words)), rng.choice(_EXTRA))
            text = " ".join(words)
        elif op == 8 and text:  # cut
            text = text[:rng.randint(0, len(text))]
        elif op == 9:  # a sentence said twice, or two parts swapped
            parts = text.split(". ")
            if len(parts) > 1 and rng.random() < 0.5:
                rng.shuffle(parts)
            else:
                parts.append(rng.choice(parts))
            text = ". ".join(parts)
        elif op == 10 and words:  # a word's letters changed (typos)
            i = rng.randrange(len(words))
            word = words[i]
            if len(word) > 3:
                k = rng.randrange(len(word) - 1)
                word = word[:k] + word[k + 1] + word[k] + word[k + 2:] if rng.random() < 0.5 \
                    else word[:k] + word[k + 1:]
                words[i] = word
            text = " ".join(words)
        elif op == 11:  # whitespace: lines, tabs, bullets
            text = rng.choice(("- ", "* ", "1) ", "• ", "")) + text.replace(
                " ", rng.choice((" ", "\n", "  ", "\t")), rng.randint(0, 3))
    return text


def texts_for(name: str, own: list[str], pool: list[str], count: int) -> list[str]:
    """The labeled answers, then `count` mutated ones: the same for the same inputs, whatever
    the process (a seed from the set's name, not Python's string hash)."""
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)
    rng = random.Random(seed)
    out = list(own)
    for _ in range(count):
        out.append(_mutate(rng, rng.choice(own) if own else "", pool, own or [""]))
    return out


# ----- the worker (runs inside the checkout being checked) ----------------------------------


def worker(tree: Path, data_root: Path, names: list[str] | None, mutations: int,
           holdout_mutations: int, out: Path, show: tuple[str, int] | None) -> None:
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    import bot

    assert Path(bot.__file__).resolve().is_relative_to(tree.resolve()), bot.__file__
    from bot.evaluation.rules import RulesEvaluator
    from bot.strategy.loader import load_strategy

    sets = sets_of(data_root)
    pool = [a for _, data, _, held in sets if not held for a in _answers(data)]
    evaluator = RulesEvaluator()
    result: dict[str, Any] = {}
    for name, data, strategy_path, held in sets:
        if names and name not in names:
            continue
        if show and show[0] != name:
            continue
        strategy = load_strategy(strategy_path)
        texts = texts_for(name, _answers(data), pool, holdout_mutations if held else mutations)
        if show:
            text = texts[show[1]]
            result = {"text": text, "verdicts": {
                q: json.loads(evaluator.evaluate_sync(q, text, strategy).model_dump_json())
                for q in QUESTIONS}}
            break
        hashes = []
        for text in texts:
            digest = hashlib.sha256()
            for question in QUESTIONS:
                digest.update(evaluator.evaluate_sync(question, text, strategy)
                              .model_dump_json().encode())
            hashes.append(digest.hexdigest()[:16])
        result[name] = hashes
    out.write_text(json.dumps(result, ensure_ascii=False))


# ----- the driver ---------------------------------------------------------------------------


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}


def _cli(python: str, tree: Path, data: Path, strategy: Path) -> bytes:
    done = subprocess.run(
        ["nice", "-n", "10", python, "-m", "bot.cli", "eval", str(data), "--strategy",
         str(strategy), "--evaluator", "rules", "--json"],
        cwd=tree, env=_env(tree), capture_output=True, check=False)
    return done.stdout + b"\n--exit " + str(done.returncode).encode()


def _run_worker(python: str, tree: Path, data_root: Path, args: argparse.Namespace,
                show: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.json"
        command = ["nice", "-n", "10", python, str(HERE), "--worker", str(tree),
                   "--data-root", str(data_root), "--mutations", str(args.mutations),
                   "--holdout-mutations", str(args.holdout_mutations), "--out", str(out)]
        if args.sets:
            command += ["--sets", args.sets]
        if show:
            command += ["--show", show]
        subprocess.run(command, cwd=tree, env=_env(tree), check=True)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="the reference checkout (e.g. main)")
    parser.add_argument("--tree", type=Path, default=HERE.parent.parent,
                        help="the checkout to check (default: this one)")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--mutations", type=int, default=3000)
    parser.add_argument("--holdout-mutations", type=int, default=1000)
    parser.add_argument("--sets", help="only these sets (comma-separated names)")
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process part")
    parser.add_argument("--skip-mutations", action="store_true", help="only `alignbot eval`")
    parser.add_argument("--show", help="SET:INDEX - print both checkouts' verdicts for one text")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.sets.split(",") if args.sets else None
    if args.worker:
        show = None
        if args.show:
            set_name, index = args.show.rsplit(":", 1)
            show = (set_name, int(index))
        worker(args.worker, args.data_root, names, args.mutations, args.holdout_mutations,
               args.out, show)
        return
    if args.base is None:
        parser.error("--base is required")
    base, tree = args.base.resolve(), args.tree.resolve()
    sets = [s for s in sets_of(base) if not names or s[0] in names]
    if args.show:
        set_name = args.show.rsplit(":", 1)[0]
        if any(s[0] == set_name and s[3] for s in sets):
            sys.exit("held-out sets are compared by hash only")
        for label, root in (("base", base), ("tree", tree)):
            shown = _run_worker(args.python, root, base, args, args.show)
            print(f"== {label} ({root})")
            print(json.dumps(shown, indent=1, ensure_ascii=False))
        return
    problems = 0
    if not args.skip_cli:
        for name, data, strategy, held in sets:
            a = _cli(args.python, base, data, strategy)
            b = _cli(args.python, tree, data, strategy)
            if a == b:
                print(f"eval --json {name:<24} identical ({hashlib.sha256(a).hexdigest()[:12]})",
                      flush=True)
                continue
            problems += 1
            if held:
                print(f"eval --json {name:<24} DIFFERS (held out: hashes "
                      f"{hashlib.sha256(a).hexdigest()[:12]} / {hashlib.sha256(b).hexdigest()[:12]})",
                      flush=True)
                continue
            lines_a, lines_b = a.decode().splitlines(), b.decode().splitlines()
            first = next((i for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=False))
                          if x != y), min(len(lines_a), len(lines_b)))
            print(f"eval --json {name:<24} DIFFERS at line {first + 1}:\n  base: "
                  f"{lines_a[first][:400] if first < len(lines_a) else '<end>'}\n  tree: "
                  f"{lines_b[first][:400] if first < len(lines_b) else '<end>'}", flush=True)
    if not args.skip_mutations:
        got_a = _run_worker(args.python, base, base, args)
        got_b = _run_worker(args.python, tree, base, args)
        pool = [a for _, data, _, held in sets_of(base) if not held for a in _answers(data)]
        for name, data, _, held in sets:
            a, b = got_a.get(name, []), got_b.get(name, [])
            differ = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
            if len(a) != len(b):
                differ.append(min(len(a), len(b)))
            if not differ:
                print(f"verdicts    {name:<24} identical on {len(a):,} texts x 3 questions",
                      flush=True)
                continue
            problems += 1
            print(f"verdicts    {name:<24} DIFFER on {len(differ)} of {len(a):,} texts", flush=True)
            if held:
                continue
            texts = texts_for(name, _answers(data), pool, args.mutations)
            for i in differ[:5]:
                shown = texts[i] if i < len(texts) else "?"
                print(f"   {name}:{i} {shown[:300]!r}  (--show {name}:{i})")
    print("ALL IDENTICAL" if not problems else f"{problems} DIFFERENCES", flush=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
