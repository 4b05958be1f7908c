/* pmkb: filters for the incidents table. Plain JavaScript; the table is complete without it. */
(function () {
  "use strict";

  function setup() {
    var form = document.querySelector("[data-pmkb-filters]");
    var table = document.querySelector("[data-pmkb-table]");
    if (!form || !table || form.dataset.pmkbReady) return;
    form.dataset.pmkbReady = "1";
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
    var output = form.querySelector("output");

    function matches(row, name, value) {
      if (!value) return true;
      var cell = row.getAttribute("data-" + name) || "";
      return name === "service" || name === "factor"
        ? cell.indexOf(" " + value + " ") !== -1
        : cell === value;
    }

    function apply(updateUrl) {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = selects.every(function (s) { return matches(row, s.name, s.value); });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (output) output.textContent = shown + " of " + rows.length + " incidents";
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
