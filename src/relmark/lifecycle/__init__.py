"""relmark.lifecycle."""
