"""The Zalo channel's persistence: received events (deduplicated), the outbox of replies and the
OA token pair. The webhook, the API client, the signature check and the worker live in
``api/channels/zalo``."""
