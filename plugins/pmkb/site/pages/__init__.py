"""The generated pages, one builder per page type.

- `base`: `GeneratedPage` and `PageContext`, what every builder reads and how it renders;
- `shared`: the Jinja environment, and the chips and badges every page shows;
- `text`: plain-text helpers (durations, front matter, excerpts, link reasons);
- `incident_html`: an incident page's HTML (its head and card, action items, related
  incidents), written in Python: the one page made for every incident;
- `incident`, `incidents`, `services`, `service`, `factors`, `factor`, `trends`,
  `action_items`: one module per page type, each with the function that builds its page;
- `history`: the incidents-per-quarter chart of the service and factor pages;
- `exports`, `assets`: the data files and the stylesheet and script served beside the pages.

Other HTML is written in the templates (pmkb/site/templates); `pmkb.site.render.Renderer` puts
the pages together.
"""
