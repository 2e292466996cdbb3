"""Deterministic generator for the Vietnamese NLU training data (data/nlu/, tests/nlu/heldout.yml).

Run from the repository root:

    python -m scripts.nlu_data.generate          # rewrite the files
    python -m scripts.nlu_data.generate --check  # fail if the files differ from a fresh run
    python -m scripts.nlu_data.validate          # counts, diacritics share, duplicates, entities
"""
