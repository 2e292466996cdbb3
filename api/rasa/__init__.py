"""Rasa as the bridge sees it: the one gateway to its HTTP API (``gateway.py``), the one reader of
its tracker's events (``tracker.py``) and the retrain's view of the server that runs the model
(``model_server.py``)."""
