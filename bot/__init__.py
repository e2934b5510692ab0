"""speechbot: the terminal commands and the Telegram bot built on retrieval/."""
