"""Residents: the directory on disk (directory.py), its change log for sync clients (changes.py)
and their management, kept in step with the gallery cache (manager.py)."""
