"""sales-align-bot core: platform-neutral logic shared by every chat adapter."""

__version__ = "0.1.0"
