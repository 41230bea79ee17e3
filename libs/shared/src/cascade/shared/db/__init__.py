"""Database access: engine and session factories, models, unit of work."""
