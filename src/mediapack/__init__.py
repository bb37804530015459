"""mediapack: build a news story's media, page, manifest and packages from one folder."""

__version__ = "0.1.0"
