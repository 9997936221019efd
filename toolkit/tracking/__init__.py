"""Every MLflow call: the tracking store, run provenance, logging a fitted result, the registry and model loading."""
