"""Bringing an archive of postmortems written to another template into pmkb.

`mapping` reads the mapping file that says how the archive's fields and headings become
pmkb's; `foreign` reads a source file's front matter in whatever format it has; `values` reads
its dates and times; `body` renames its sections and lifts its action items and timeline;
`convert` turns one source file into the text of a pmkb postmortem; `batch` runs a whole import,
never overwriting a file. The `pmkb import` command (`cli.import_`) only translates.
"""
