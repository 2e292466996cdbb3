"""The service desk: what the product does with people, beside what it knows.

Staff accounts and the audit log, requests for an officer, recorded conversations, feedback and
ratings, dossier lookups, analytics, the learning loop and the Zalo channel's persistence. It may
use ``knowledge`` (procedures, units, centres) and ``core``; ``knowledge`` never imports it.
"""
