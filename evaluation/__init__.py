"""NLU evaluation, run in the Rasa runtime environment (`make nlu-eval`)."""
