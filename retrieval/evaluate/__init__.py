"""Evaluate: question sets and commitment labels scored against the engine."""
