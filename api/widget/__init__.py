"""The embeddable web chat widget: one script tag on any site (see api/widget/routes.py)."""
