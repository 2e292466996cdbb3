"""Messaging channels beyond the web chat page (one folder per channel, e.g. ``zalo/``)."""
