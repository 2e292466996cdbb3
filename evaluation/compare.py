"""Score trained models on the held-out NLU set, side by side (Rasa environment).

    python -m evaluation.compare --heldout tests/nlu/heldout.yml --out scores.json MODEL.tar.gz [MODEL ...]

The console's retrain job runs this on the candidate and on the model the server runs now, then
activates the candidate only if it is not worse. Both are scored on the same examples in one
process, the same way as ``python -m evaluation heldout``: the classifier's best intent (before
FallbackClassifier replaces it) against the gold intent, so accuracy and macro-F1 are comparable
with docs/nlu.md. Progress goes to stdout as ``PROGRESS <done>/<total>`` lines (parsed by the
job); the scores are written to --out as JSON, a list in the order the models were given.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from evaluation import metrics  # noqa: E402
from evaluation.rasa_nlu import ROOT, TrainedModel, quiet  # noqa: E402


def load_heldout(path: Path) -> tuple[list[str], list[str]]:
    examples = [m for m in load_data(str(path)).intent_examples if m.get("text")]
    return [m.get("text") for m in examples], [m.get("intent") for m in examples]


def score(model_path: Path, texts: list[str], gold: list[str]) -> dict:
    started = time.monotonic()
    model = TrainedModel(Agent.load(str(model_path)), 0.0)
    parsed = model.parse(texts)
    predicted = [p.intent for p in parsed]
    report = metrics.classification_report(gold, predicted)
    return {
        "model": str(model_path),
        "n": len(gold),
        "accuracy": round(metrics.accuracy(gold, predicted), 4),
        "macro_f1": round(metrics.macro_f1(report), 4),
        "fallback_rate": round(sum(p.fallback for p in parsed) / len(parsed), 4) if parsed else 0.0,
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.compare", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu" / "heldout.yml")
    parser.add_argument("--out", type=Path, help="write the scores here as JSON (default: stdout)")
    args = parser.parse_args(argv)
    quiet()
    # Rasa's structlog logs every parsed text at debug level: the job's log must not carry them.
    configure_structlog(logging.WARNING)
    missing = [str(m) for m in args.models if not m.is_file()]
    if missing:
        print(f"model not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    texts, gold = load_heldout(args.heldout)
    if not texts:
        print(f"no examples in {args.heldout}", file=sys.stderr)
        return 2
    results = []
    total = len(args.models)
    print(f"PROGRESS 0/{total}", flush=True)
    for done, model_path in enumerate(args.models, start=1):
        result = score(model_path, texts, gold)
        results.append(result)
        print(
            f"PROGRESS {done}/{total} {model_path.name}: accuracy={result['accuracy']:.4f} "
            f"macro-F1={result['macro_f1']:.4f} ({result['seconds']:.0f} s)",
            flush=True,
        )
    payload = json.dumps(results, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(payload, encoding="utf-8")
    else:
        print(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
