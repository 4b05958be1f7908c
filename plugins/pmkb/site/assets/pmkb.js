/* pmkb: filters for the incidents table. Plain JavaScript; the table is complete without it. */
(function () {
  "use strict";

  function setup() {
    forward(document.querySelector("[data-pmkb-search-filters]"));
    var form = document.querySelector("[data-pmkb-filters]");
    var table = document.querySelector("[data-pmkb-table]");
    if (!form || !table || form.dataset.pmkbReady) return;
    form.dataset.pmkbReady = "1";
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
    var output = form.querySelector("output");
    // A table split into pages filters the rows of its page only, and its count says so.
    var scope = form.getAttribute("data-pmkb-scope") === "page" ? " on this page" : "";

    function matches(row, select) {
      if (!select.value) return true;
      var cell = row.getAttribute("data-" + select.name) || "";
      return select.hasAttribute("data-pmkb-many")
        ? cell.indexOf(" " + select.value + " ") !== -1
        : cell === select.value;
    }

    function apply(updateUrl) {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = selects.every(function (s) { return matches(row, s); });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (output) output.textContent = shown + " of " + rows.length + " incidents" + scope;
      if (updateUrl) {
        var params = new URLSearchParams();
        selects.forEach(function (s) { if (s.value) params.set(s.name, s.value); });
        var query = params.toString();
        history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
      }
    }

    var params = new URLSearchParams(location.search);
    selects.forEach(function (s) {
      var wanted = params.get(s.name);
      if (wanted && Array.prototype.some.call(s.options, function (o) { return o.value === wanted; })) {
        s.value = wanted;
      }
      s.addEventListener("change", function () { apply(true); });
    });
    form.addEventListener("reset", function () {
      setTimeout(function () { apply(true); }, 0);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply(false);
  }

  // A table split into pages sends its filters to the search page. Links to the table filtered
  // the old way (`?service=<id>`, from bookmarks and other pages) are sent on there too, each id
  // given as the name the search page filters by.
  function forward(form) {
    if (!form || !location.search) return;
    var params = new URLSearchParams(location.search);
    var found = new URLSearchParams();
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
      var wanted = params.get(s.name);
      var option = wanted && Array.prototype.find.call(s.options, function (o) {
        return o.value && (o.getAttribute("data-key") || o.value) === wanted;
      });
      if (option) found.set(s.name, option.value);
    });
    if (found.toString()) location.replace(form.action + "?" + found.toString());
  }

  // Runs `setup` on every page a reader sees. Material's instant navigation swaps pages without
  // running scripts again, and says when (document$); without it, once the page has loaded.
  // pmkb's other scripts, loaded after this one, use it too.
  window.pmkbOnPage = function (setup) {
    if (window.document$ && typeof window.document$.subscribe === "function") {
      window.document$.subscribe(setup);
    } else if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", setup);
    } else {
      setup();
    }
  };
  window.pmkbOnPage(setup);
})();
