"""The application layer: the engine holder and its reloads, answering, the terminal chat, the limits
on questions (per user, searches at once) and path-free error texts. No Telegram."""
