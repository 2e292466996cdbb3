"""Dossier news that comes to the citizen: subscriptions, the poller's claims, each change once
(service.py), one round of polling (poller.py). See servicedesk/dossiers/README.md."""
