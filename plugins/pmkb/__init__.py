"""pmkb: a postmortem knowledge base built from Markdown files in a git repository."""

__version__ = "0.1.0"
