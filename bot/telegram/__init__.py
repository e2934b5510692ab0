"""Everything Telegram: the Application, handlers, keyboards, callback data, HTML, texts, uploads."""
