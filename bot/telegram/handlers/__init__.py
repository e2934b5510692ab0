"""Telegram handlers, one module per concern; each handler is one async function per kind of update."""
