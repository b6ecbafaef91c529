"""narratives: track US and China influence narratives in news feeds."""

__version__ = "0.1.0"
