"""Reusable constructs: the details that the stacks leave out of their story."""
