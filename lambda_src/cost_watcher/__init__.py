"""cost-watcher: find idle SageMaker real-time endpoints, tell their owners, reclaim opted-in ones safely."""

__version__ = "0.1.0"
