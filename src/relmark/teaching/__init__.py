"""relmark.teaching."""
