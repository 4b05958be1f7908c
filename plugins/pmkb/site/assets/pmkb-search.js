// pmkb's faceted search (`search: pagefind`), on every page:
// - Enter in the header's search box opens the search page with what was typed, so that a reader
//   has one place to search: Material's box still suggests documentation pages as one types;
//   (the words go in `query`, not `q`, which Material's own search would open its overlay for);
// - on the search page, the form, facets and results, over Pagefind's JavaScript API, which
//   fetches only the index fragments a query needs. The query and filters live in the URL, so a
//   search can be shared. Every value is set as text (textContent), never as HTML; Pagefind's
//   excerpt is split on its <mark> tags and each piece decoded to text the same way.
(function () {
  "use strict";

  // This file is assets/pmkb/pmkb-search.js: the site's root is two folders up. The search page's
  // path is written in by the build (directory URLs or not).
  const script = document.currentScript;
  if (!script) return;
  const root = new URL("../../", script.src);
  const searchPage = new URL(__PMKB_SEARCH_PAGE__, root);
  const FACETS = __PMKB_FACETS__;
  const PAGE_SIZE = 10; // each result shown fetches its fragment (about 2 kB)

  function openSearch(query) {
    const url = new URL(searchPage);
    if (query) url.searchParams.set("query", query);
    window.location.assign(url.href);
  }

  // Capturing, so that Material's own Enter handling (open the first suggestion) does not run.
  window.addEventListener(
    "keydown",
    function (event) {
      const input = event.target;
      if (event.key !== "Enter" || !(input instanceof HTMLInputElement)) return;
      if (!input.classList.contains("md-search__input")) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      openSearch(input.value.trim());
    },
    true,
  );

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Pagefind's excerpt is escaped text with <mark> around the matched words.
  function excerpt(html) {
    const out = element("p", "pmkb-result__excerpt");
    // A textarea's content is parsed as text with character references (RCDATA): no element
    // can come of it, and spaces at either end are kept, unlike in a parsed document's body.
    const decoder = document.createElement("textarea");
    const decode = (s) => {
      decoder.innerHTML = s;
      return decoder.value;
    };
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") return true;
      if (part === "</mark>") return false;
      const text = decode(part);
      if (text) out.appendChild(marked ? element("mark", "", text) : document.createTextNode(text));
      return marked;
    }, false);
    return out;
  }

  async function searchPageUi(container) {
    const pagefind = await import(new URL("pagefind/pagefind.js", root).href);
    await pagefind.options({ baseUrl: root.pathname });
    pagefind.init();

    const params = new URLSearchParams(window.location.search);
    const form = element("form", "pmkb-search__form");
    form.setAttribute("role", "search");
    form.addEventListener("submit", (event) => event.preventDefault());
    const label = element("label", "pmkb-search__label", "Search every published word");
    label.htmlFor = "pmkb-search-q";
    const input = element("input", "pmkb-search__input md-input");
    Object.assign(input, { id: "pmkb-search-q", type: "search", name: "query", autocomplete: "off" });
    input.placeholder = "An error message, a config key, a vendor…";
    input.value = params.get("query") || "";
    form.append(label, input);

    // The facets' values and counts are written in by the build: listing them downloads nothing.
    const facets = element("div", "pmkb-search__facets");
    const selects = {};
    for (const [name, title, values] of FACETS) {
      if (!values.length) continue;
      const wrap = element("label", "pmkb-search__facet");
      wrap.append(element("span", "", title));
      const select = element("select", "pmkb-search__select");
      select.name = name;
      select.append(new Option("All", ""));
      for (const [value, count] of values) select.append(new Option(`${value} (${count})`, value));
      const wanted = params.get(name);
      if (wanted && values.some(([value]) => value === wanted)) select.value = wanted;
      wrap.append(select);
      facets.append(wrap);
      selects[name] = select;
    }
    form.append(facets);
    const status = element("p", "pmkb-search__status");
    status.setAttribute("aria-live", "polite");
    const list = element("ol", "pmkb-search__results");
    const more = element("button", "md-button pmkb-search__more", "More results");
    more.type = "button";
    more.hidden = true;
    container.replaceChildren(form, status, list, more);

    let results = [];
    let shown = 0;

    function chip(kind, value) {
      const button = element("button", `pmkb-chip pmkb-chip--${kind}`, value);
      button.type = "button";
      button.title = `Show only ${value}`;
      button.addEventListener("click", function () {
        if (!selects[kind]) return;
        selects[kind].value = value;
        run();
      });
      return button;
    }

    function render(data) {
      const item = element("li", "pmkb-result");
      const link = element("a", "pmkb-result__title", data.meta.title || data.url);
      link.href = data.url;
      item.append(link);
      const facts = element("p", "pmkb-result__facts");
      const kind = (data.filters.kind || [])[0];
      if (data.meta.severity) {
        const rank = data.meta.severity_rank || "0";
        facts.append(element("span", `pmkb-sev pmkb-sev--${rank}`, data.meta.severity), " ");
      }
      if (data.meta.date) facts.append(element("time", "", data.meta.date));
      if (data.meta.status && data.meta.status !== "published") {
        facts.append(" ", element("span", `pmkb-status pmkb-status--${data.meta.status}`, (data.filters.status || [])[0] || data.meta.status));
      }
      if (kind && kind !== "Incident") facts.append(element("span", "pmkb-muted", kind));
      item.append(facts);
      const services = data.filters.service || [];
      const factors = data.filters.factor || [];
      if (services.length || factors.length) {
        const chips = element("p", "pmkb-result__chips");
        for (const s of services) chips.append(chip("service", s), " ");
        for (const f of factors) chips.append(chip("factor", f), " ");
        item.append(chips);
      }
      item.append(excerpt(data.excerpt || ""));
      return item;
    }

    async function showMore() {
      const page = results.slice(shown, shown + PAGE_SIZE);
      shown += page.length;
      const data = await Promise.all(page.map((r) => r.data()));
      list.append(...data.map(render));
      more.hidden = shown >= results.length;
    }
    more.addEventListener("click", showMore);

    async function run() {
      const query = input.value.trim();
      const filters = {};
      const url = new URL(window.location.href);
      url.search = "";
      if (query) url.searchParams.set("query", query);
      for (const [name, select] of Object.entries(selects)) {
        if (select.value) {
          filters[name] = select.value;
          url.searchParams.set(name, select.value);
        }
      }
      window.history.replaceState(null, "", url.href);
      if (!query && !Object.keys(filters).length) {
        results = [];
        list.replaceChildren();
        more.hidden = true;
        status.textContent = "Type a word, or choose a filter.";
        return;
      }
      status.textContent = "Searching…";
      // Without words, the filtered incidents are listed newest first.
      const options = query ? { filters } : { filters, sort: { date: "desc" } };
      const found = await pagefind.debouncedSearch(query || null, options, 150);
      if (found === null) return; // a newer search replaced this one
      results = found.results;
      shown = 0;
      list.replaceChildren();
      const n = results.length;
      status.textContent = n === 1 ? "1 result" : `${n} results`;
      await showMore();
    }

    input.addEventListener("input", run);
    for (const select of Object.values(selects)) select.addEventListener("change", run);
    await run();
    if (!input.value) input.focus();
  }

  function setup() {
    // Say where Enter leads, in the box itself.
    for (const box of document.querySelectorAll("input.md-search__input")) {
      box.placeholder = "Search (Enter: every incident)";
    }
    const container = document.getElementById("pmkb-search");
    if (!container || container.dataset.ready) return;
    container.dataset.ready = "true";
    searchPageUi(container).catch(function (error) {
      container.replaceChildren(
        element("p", "pmkb-search__error", `The search index could not be loaded (${error}).`),
      );
    });
  }
  window.pmkbOnPage(setup); // defined by pmkb.js, which every page loads before this file
})();
