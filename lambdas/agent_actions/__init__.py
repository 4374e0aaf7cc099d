"""The operations assistant's action group: a few safe operations on this deployment (see actions.py)."""
