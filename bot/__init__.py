"""speechbot: the `speechbot` command (cli.py), the application layer (service/), the Telegram
bot (telegram/) and its operations side (ops/), built on retrieval/."""
