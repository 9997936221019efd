"""Experiments → fitted models and their scores: experiment files, search, fitting, evaluation. No MLflow here."""
