"""The pages: page builders, templates, charts, exports, sanitizing, files for other engines."""
