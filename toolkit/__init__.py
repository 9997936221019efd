"""Turn news articles into annotated datasets and trained models."""

__version__ = "0.1.0"
