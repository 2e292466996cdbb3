"""Fake external systems for tests, spoken to over real HTTP."""
