"""Dossier lookup (tra cứu hồ sơ): status of a dossier after the citizen proves, with the last four
digits of their phone, that it is theirs. See README.md in this folder."""
