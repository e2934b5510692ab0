"""Render: answers, outlines and commitments as terminal text, JSON lines and CSV; highlighting."""
