"""The Label Studio round trip: connect, create the project, export tasks with pre-annotations, pull snapshots.

Heavy imports (label_studio_sdk, httpx) happen inside functions, so `import toolkit.labelstudio` is cheap.
"""
