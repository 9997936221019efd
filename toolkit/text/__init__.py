"""Text without I/O: normalising, language, sentences, tokens, BIO tags, offsets. Every stage builds on it."""
