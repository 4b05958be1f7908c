"""Reading postmortems and catalogs: files, front matter, sections, checks, the knowledge base."""
