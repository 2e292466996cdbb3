"""The project's command line: ``python -m cli --help``."""
