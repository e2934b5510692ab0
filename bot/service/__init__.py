"""The application layer: the engine holder and its reloads, answering, the terminal chat. No Telegram."""
