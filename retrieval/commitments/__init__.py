"""Commitments: the sentences of a document that commit someone to something checkable."""
