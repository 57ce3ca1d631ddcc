"""The traffic simulator: serves the champion, simulates traffic and late labels, exports metrics."""
