// pmkb's faceted search (`search: faceted`), on every page:
// - Enter in the header's search box opens the search page with what was typed, so that a reader
//   has one place to search: Material's box still suggests documentation pages as one types;
//   (the words go in `query`, not `q`, which Material's own search would open its overlay for);
// - on the search page, the form, facets and results, over the index pmkb writes beside it
//   (pmkb/site/text_index.py describes its files): a query fetches the chunk of each word typed
//   and one small file per result shown, never the whole index. The query and filters live in
//   the URL, so a search can be shared. Every value is set as text (textContent), never as HTML.
(function () {
  "use strict";

  // This file is assets/pmkb/pmkb-search.js: the site's root is two folders up. The search page's
  // path is written in by the build (directory URLs or not).
  const script = document.currentScript;
  if (!script) return;
  const root = new URL("../../", script.src);
  const searchPage = new URL(__PMKB_SEARCH_PAGE__, root);
  const FACETS = __PMKB_FACETS__;
  const PAGE_SIZE = 10; // each result shown fetches its file (about 5 kB)

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

  // Words are split and folded as the index's were (text_index.py): letters, digits and the
  // underscore; decomposed, marks removed, lower-cased.
  const WORD = /[\p{L}\p{N}_]+/gu;
  const fold = (text) => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

  // The words of a query: a longer word's plural "s" is dropped, and every word matches the
  // indexed words it begins (as one types, and "timeouts" finds "timeout").
  function queryWords(query) {
    const found = fold(query).match(WORD) || [];
    const out = found
      .map((w) => Array.from(w).slice(0, 64).join("")) // as indexed: a long word by its beginning
      .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
    return [...new Set(out)];
  }

  function Index(base) {
    const fetched = new Map();
    let version = "";
    function load(path) {
      if (!fetched.has(path)) {
        const url = new URL(path, base);
        if (version) url.searchParams.set("v", version);
        fetched.set(
          path,
          fetch(url.href).then((response) => {
            if (!response.ok) throw new Error(`${response.status} ${path}`);
            return response.json();
          }),
        );
      }
      return fetched.get(path);
    }
    const hex = (key) => Array.from(new TextEncoder().encode(key), (b) => b.toString(16).padStart(2, "0")).join("");
    const manifest = load("index.json").then((m) => {
      version = m.version;
      return m;
    });

    // Each page holding a word that `word` begins, with its best score; a one-letter word
    // matches only itself.
    async function pagesOf(word) {
      const { keys } = await manifest;
      const short = word.length < 2;
      const wanted = keys.filter((k) => (short ? k === word : k.startsWith(word) || word.startsWith(k)));
      const chunks = await Promise.all(wanted.map((k) => load(`w/${hex(k)}.json`)));
      const scores = new Map();
      for (const chunk of chunks) {
        for (const [indexed, list] of Object.entries(chunk)) {
          if (short ? indexed !== word : !indexed.startsWith(word)) continue;
          const weight = indexed === word ? 1 : 0.7;
          let doc = 0;
          for (let i = 0; i < list.length; i += 2) {
            doc += list[i];
            const score = list[i + 1] * weight;
            if (score > (scores.get(doc) || 0)) scores.set(doc, score);
          }
        }
      }
      return scores;
    }

    async function facet(name, value) {
      const values = await load(`f/${name}.json`);
      const docs = new Set();
      let doc = 0;
      for (const delta of values[value] || []) docs.add((doc += delta));
      return docs;
    }

    // Results: every page holding all the words (best score first) and every chosen facet value;
    // without words, every page with the facet values, in the index's order (newest first).
    async function search(words, filters) {
      const sets = await Promise.all(Object.entries(filters).map(([n, v]) => facet(n, v)));
      let ranked;
      if (words.length) {
        const maps = await Promise.all(words.map(pagesOf));
        maps.sort((a, b) => a.size - b.size);
        ranked = [];
        for (const [doc, score] of maps[0]) {
          let total = score;
          for (const other of maps.slice(1)) {
            const more = other.get(doc);
            if (more === undefined) {
              total = -1;
              break;
            }
            total += more;
          }
          if (total >= 0) ranked.push([doc, total]);
        }
        ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      } else {
        const { docs } = await manifest;
        ranked = Array.from({ length: docs }, (_, doc) => [doc, 0]);
      }
      return ranked
        .filter(([doc]) => sets.every((set) => set.has(doc)))
        .map(([doc]) => ({ data: () => load(`d/${doc}.json`) }));
    }
    return { search, manifest };
  }

  // A few words around the first match in the page's text, each matching word marked.
  function excerpt(text, words) {
    const out = element("p", "pmkb-result__excerpt");
    const tokens = [];
    for (const match of text.matchAll(WORD)) tokens.push(match);
    const matches = (token) => words.some((w) => fold(token[0]).startsWith(w));
    let first = words.length ? tokens.findIndex(matches) : 0;
    if (first < 0) first = 0;
    const from = Math.max(0, first - 12);
    const to = Math.min(tokens.length, from + 36);
    if (!tokens.length) return out;
    let at = tokens[from].index;
    if (from > 0) out.append("… ");
    for (const token of tokens.slice(from, to)) {
      out.append(text.slice(at, token.index));
      out.append(words.length && matches(token) ? element("mark", "", token[0]) : token[0]);
      at = token.index + token[0].length;
    }
    if (to < tokens.length) out.append(" …");
    return out;
  }

  async function searchPageUi(container) {
    const index = Index(new URL(__PMKB_SEARCH_INDEX__, root));
    index.manifest.catch(() => {}); // fetched now; a failure shows with the first search

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
    let words = [];
    let latest = 0;

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
      link.href = new URL(data.url, root).href;
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
      if (kind === "Near miss") facts.append(" ", element("span", "pmkb-kind pmkb-kind--near-miss", kind));
      else if (kind && kind !== "Incident") facts.append(" ", element("span", "pmkb-muted", kind));
      item.append(facts);
      const services = data.filters.service || [];
      const factors = data.filters.factor || [];
      if (services.length || factors.length) {
        const chips = element("p", "pmkb-result__chips");
        for (const s of services) chips.append(chip("service", s), " ");
        for (const f of factors) chips.append(chip("factor", f), " ");
        item.append(chips);
      }
      item.append(excerpt(data.text || "", words));
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
      const mine = ++latest;
      await new Promise((resolve) => setTimeout(resolve, 150)); // typing on: wait for the word
      if (mine !== latest) return;
      words = queryWords(query);
      const found = await index.search(words, filters);
      if (mine !== latest) return; // a newer search replaced this one
      results = found;
      shown = 0;
      list.replaceChildren();
      await showMore();
      if (mine !== latest) return;
      // Said once the first results are on the page: a screen reader announces what is there.
      const n = results.length;
      status.textContent = n === 1 ? "1 result" : `${n} results`;
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
