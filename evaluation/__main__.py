"""``python -m evaluation {cv,heldout,atis,spacy-matcher}`` (Rasa environment; `make nlu-eval` runs cv + heldout).

cv       k-fold cross-validation on data/nlu: per-intent P/R/F1, macro F1, confusion matrix, and the
         same for the subset written without diacritics.
heldout  train on data/nlu, test on tests/nlu/heldout.yml (never trained on).
atis     train on an ATIS-layout dataset's train split, report intent accuracy, span slot F1
         (conlleval rules) and sentence accuracy on its test split.
spacy-matcher
         the gazetteers as a spaCy PhraseMatcher against the dict matcher of bot/gazetteer.py:
         identical entities on data/nlu and the held-out set, build time, memory, latency
         (evaluation/spacy_matcher.py; the decision is in docs/nlu.md).
Reports are written as JSON and CSV under --out (default reports/nlu/).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Rasa's training cache keys on config and data, not on our components' code: never reuse it.
os.environ["RASA_MAX_CACHE_SIZE"] = "0"

from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.vntext import has_diacritics  # noqa: E402
from evaluation import metrics, spacy_matcher  # noqa: E402
from evaluation.atis import read_dataset, tags_from_entities  # noqa: E402
from evaluation.rasa_nlu import LEARNED_EXTRACTORS, ROOT, quiet, temporary_workdir, train  # noqa: E402


def _examples(path: Path) -> list[Message]:
    return [m for m in load_data(str(path)).intent_examples if m.get("text")]


def _intent_summary(name: str, gold: list[str], predicted: list[str]) -> dict:
    report = metrics.classification_report(gold, predicted)
    return {
        "name": name,
        "n": len(gold),
        "accuracy": round(metrics.accuracy(gold, predicted), 4),
        "macro_f1": round(metrics.macro_f1(report), 4),
        "per_intent": {
            k: {
                "precision": round(v.precision, 4),
                "recall": round(v.recall, 4),
                "f1": round(v.f1, 4),
                "support": v.support,
            }
            for k, v in report.items()
        },
    }


def _write_reports(out: Path, stem: str, summaries: list[dict], gold: list[str], predicted: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(summaries, ensure_ascii=False, indent=2), encoding="utf-8")
    labels, matrix = metrics.confusion_matrix(gold, predicted)
    with (out / f"{stem}-confusion.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["gold \\ predicted", *labels])
        for label, row in zip(labels, matrix, strict=False):
            writer.writerow([label, *row])


def _print(summary: dict) -> None:
    extra = f" fallback-rate={summary['fallback_rate']:.4f}" if "fallback_rate" in summary else ""
    print(
        f"\n== {summary['name']}: n={summary['n']} accuracy={summary['accuracy']:.4f} macro-F1={summary['macro_f1']:.4f}{extra}"
    )
    for intent, s in summary["per_intent"].items():
        print(f"   {intent:24s} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} n={s['support']}")


def _plain(message: Message) -> str:
    return message.get("text")


def _no_diacritics(text: str) -> bool:
    return not has_diacritics(re.sub(r"\d", "", text))


def cross_validate(folds: int, out: Path, seed: int, config: Path) -> None:
    examples = _examples(ROOT / "data" / "nlu")
    by_intent: dict[str, list[Message]] = defaultdict(list)
    for m in examples:
        by_intent[m.get("intent")].append(m)
    rng = random.Random(seed)
    assignment: dict[int, int] = {}
    for items in by_intent.values():
        order = list(range(len(items)))
        rng.shuffle(order)
        for rank, i in enumerate(order):
            assignment[id(items[i])] = rank % folds
    gold, predicted, texts = [], [], []
    seconds, fallbacks = [], 0
    for fold in range(folds):
        train_set = [m for m in examples if assignment[id(m)] != fold]
        test_set = [m for m in examples if assignment[id(m)] == fold]
        with temporary_workdir() as tmp:
            model = train(train_set, Path(tmp), config)
            seconds.append(model.seconds)
            parsed = model.parse([_plain(m) for m in test_set])
        gold += [m.get("intent") for m in test_set]
        predicted += [p.intent for p in parsed]
        fallbacks += sum(p.fallback for p in parsed)
        texts += [_plain(m) for m in test_set]
        print(
            f"fold {fold + 1}/{folds}: trained in {model.seconds:.0f} s, accuracy {metrics.accuracy(gold[-len(test_set) :], predicted[-len(test_set) :]):.4f}",
            flush=True,
        )
    plain = [i for i, t in enumerate(texts) if _no_diacritics(t)]
    summaries = [
        _intent_summary(f"{folds}-fold cross-validation", gold, predicted),
        _intent_summary("  subset without diacritics", [gold[i] for i in plain], [predicted[i] for i in plain]),
    ]
    summaries[0]["train_seconds_per_fold"] = round(sum(seconds) / len(seconds), 1)
    summaries[0]["fallback_rate"] = round(fallbacks / len(gold), 4)
    for summary in summaries:
        _print(summary)
    _write_reports(out, "cross-validation", summaries, gold, predicted)


def heldout(out: Path, config: Path) -> None:
    with temporary_workdir() as tmp:
        model = train(_examples(ROOT / "data" / "nlu"), Path(tmp), config)
        test = _examples(ROOT / "tests" / "nlu" / "heldout.yml")
        parsed = model.parse([_plain(m) for m in test])
    gold = [m.get("intent") for m in test]
    predicted = [p.intent for p in parsed]
    plain = [i for i, m in enumerate(test) if _no_diacritics(_plain(m))]
    summaries = [
        _intent_summary("held-out test set", gold, predicted),
        _intent_summary("  held-out without diacritics", [gold[i] for i in plain], [predicted[i] for i in plain]),
    ]
    summaries[0]["train_seconds"] = round(model.seconds, 1)
    summaries[0]["fallback_rate"] = round(sum(p.fallback for p in parsed) / len(parsed), 4)
    for summary in summaries:
        _print(summary)
    print(f"   trained in {model.seconds:.0f} s")
    _write_reports(out, "heldout", summaries, gold, predicted)


def atis(root: Path, out: Path, config: Path) -> None:
    splits = read_dataset(root)
    train_messages = [
        Message(data={"text": e.text, "intent": e.intent, "entities": e.entities()}) for e in splits["train"]
    ]
    test = splits["test"]
    with temporary_workdir() as tmp:
        model = train(train_messages, Path(tmp), config)
        parsed = model.parse([e.text for e in test])
    gold_intents = [e.intent for e in test]
    predicted_intents = [p.intent for p in parsed]
    gold_tags = [list(e.tags) for e in test]
    predicted_tags = [
        tags_from_entities(e, [x for x in p.entities if x.get("extractor") in LEARNED_EXTRACTORS])
        for e, p in zip(test, parsed, strict=False)
    ]
    slots = metrics.slot_f1(gold_tags, predicted_tags)
    result = {
        "dataset": str(root),
        "train": len(train_messages),
        "test": len(test),
        "train_seconds": round(model.seconds, 1),
        "intent_accuracy": round(metrics.accuracy(gold_intents, predicted_intents), 4),
        "slot_precision": round(slots.precision, 4),
        "slot_recall": round(slots.recall, 4),
        "slot_f1": round(slots.f1, 4),
        "sentence_accuracy": round(
            metrics.sentence_accuracy(gold_intents, predicted_intents, gold_tags, predicted_tags), 4
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "atis.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument(
        "--config", type=Path, default=ROOT / "config.yml", help="pipeline to evaluate (default: the product's)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cv = sub.add_parser("cv")
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--seed", type=int, default=13)
    sub.add_parser("heldout")
    at = sub.add_parser("atis")
    at.add_argument("dataset", type=Path, help="folder with train/ and test/ (dev/ optional)")
    sm = sub.add_parser("spacy-matcher")
    sm.add_argument("--rounds", type=int, default=5, help="timed passes over all messages")
    args = parser.parse_args(argv)
    quiet()
    if args.command == "cv":
        cross_validate(args.folds, args.out, args.seed, args.config)
    elif args.command == "heldout":
        heldout(args.out, args.config)
    elif args.command == "spacy-matcher":
        spacy_matcher.measure(args.out, args.rounds)
    else:
        atis(args.dataset, args.out, args.config)


if __name__ == "__main__":
    sys.exit(main())
