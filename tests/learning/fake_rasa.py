"""Stands in for `rasa train` and `python -m evaluation.compare` in the job-runner tests: prints
the lines the real commands print (the job parses them) and writes the same kinds of files.

    fake_rasa.py train --config C --domain D --data F... --out DIR --fixed-model-name NAME
    fake_rasa.py compare MODEL... --out FILE

Behaviour from the environment: FAKE_TRAIN_EXIT (exit code of train), FAKE_TRAIN_SLEEP (seconds
per component), FAKE_SCORES (JSON object: model file name -> macro-F1; default 0.9),
FAKE_COMPARE_EXIT, FAKE_LOG (a file to which each call appends its argv as JSON).
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
import time
from pathlib import Path

COMPONENTS = [
    "VietnameseTokenizer",
    "LexicalSyntacticFeaturizer",
    "CRFEntityExtractor",
    "VietnameseIntentClassifier",
    "MemoizationPolicy",
    "RulePolicy",
]


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def train(argv: list[str]) -> int:
    print("2026-11-22 07:55:59 INFO     rasa.cli.train  - Started validating domain and training data...", flush=True)
    print(
        "/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: Misaligned entity annotation in message 'secret text'",
        flush=True,
    )
    code = int(os.environ.get("FAKE_TRAIN_EXIT", "0"))
    pause = float(os.environ.get("FAKE_TRAIN_SLEEP", "0"))
    for i, name in enumerate(COMPONENTS):
        print(
            f"2026-11-22 07:56:1{i} INFO     rasa.engine.training.hooks  - Starting to train component '{name}'.",
            flush=True,
        )
        time.sleep(pause)
        if code and i == 2:
            print("Traceback (most recent call last):\nValueError: fake training failure", flush=True)
            return code
        print(
            f"2026-11-22 07:56:1{i} INFO     rasa.engine.training.hooks  - Finished training component '{name}'.",
            flush=True,
        )
    out = Path(_option(argv, "--out"))
    target = out / f"{_option(argv, '--fixed-model-name')}.tar.gz"
    data = argv[argv.index("--data") + 1 : argv.index("--out")]
    payload = json.dumps({"data": data}).encode()
    with tarfile.open(target, "w:gz") as tar:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    print(f"\x1b[92mYour Rasa model is trained and saved at '{target}'.\x1b[0m", flush=True)
    return 0


def compare(argv: list[str]) -> int:
    code = int(os.environ.get("FAKE_COMPARE_EXIT", "0"))
    if code:
        print("model not found", file=sys.stderr)
        return code
    out = Path(_option(argv, "--out"))
    models = [Path(a) for a in argv[: argv.index("--out")]]
    scores = json.loads(os.environ.get("FAKE_SCORES", "{}"))
    results = []
    print(f"PROGRESS 0/{len(models)}", flush=True)
    for done, model in enumerate(models, start=1):
        f1 = float(
            scores.get(model.name, scores.get("candidate" if model.name.startswith("candidate-") else "current", 0.9))
        )
        results.append(
            {"model": str(model), "n": 10, "accuracy": f1, "macro_f1": f1, "fallback_rate": 0.0, "seconds": 0.1}
        )
        print(f"PROGRESS {done}/{len(models)} {model.name}: accuracy={f1:.4f} macro-F1={f1:.4f} (0 s)", flush=True)
    out.write_text(json.dumps(results), encoding="utf-8")
    return 0


def main() -> int:
    command, argv = sys.argv[1], sys.argv[2:]
    if os.environ.get("FAKE_LOG"):
        with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps([command, *argv]) + "\n")
    return train(argv) if command == "train" else compare(argv)


if __name__ == "__main__":
    sys.exit(main())
