"""relmark.scoring."""
