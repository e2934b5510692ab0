"""Where the project and its seed corpus are (tests/bot has no __init__.py on purpose:
a tests/bot package would shadow the real `bot` package under pytest's prepend import mode)."""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SEED = PROJECT / "corpus" / "seed"
