/* City Data Practices Index report: sortable tables and row filters.
 * Plain JavaScript, no dependencies, nothing fetched: works from file:// offline.
 * Tables with class "sortable" sort on a header click (numbers read from data-v on the cell).
 * A form with data-filter-for="<table id>" filters that table's rows: each control's data-filter
 * names the row attribute it matches (data-state, data-band, ...); "city", and a control with
 * data-match="contains" (the data dictionary's search), match a substring.
 * A button with data-export-for="<table id>" downloads the rows currently shown as CSV, built in the page
 * (a Blob: nothing leaves the machine); text that a spreadsheet would run as a formula gets a leading
 * apostrophe, as in every CSV cdpi writes (warehouse/spreadsheet.py).
 * The filters in use are kept in the address's fragment (#state=OH&next=gold), so a filtered view can be
 * bookmarked or sent, and opening such an address applies them (works from file:// too). A control with
 * data-default (the targets table's "List") starts at that value and leaves it out of the fragment; its
 * value "any" matches every row, and the count line counts among the rows of the list chosen, named by
 * the chosen option's data-noun. */
(function () {
  "use strict";

  function cellKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    if (numeric) {
      var raw = cell.getAttribute("data-v");
      if (raw === null || raw === "") { return null; }
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    var text = cell.textContent.trim().toLowerCase();
    return text === "" || text === "–" ? null : text;
  }

  function sortBy(table, th, index) {
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var ascending = current ? current !== "ascending" : !numeric;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      if (other !== th) { other.removeAttribute("aria-sort"); }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var keyed = Array.prototype.map.call(body.rows, function (row, position) {
      return { row: row, key: cellKey(row, index, numeric), position: position };
    });
    keyed.sort(function (a, b) {
      if (a.key === null || b.key === null) {  // empty cells last, whatever the direction
        return (a.key === null) - (b.key === null) || a.position - b.position;
      }
      var c = numeric ? a.key - b.key : a.key.localeCompare(b.key);
      return (ascending ? c : -c) || a.position - b.position;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button");
      if (!button || !th.hasAttribute("data-type")) { return; }
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  // total: rows of the list chosen (null: every row); noun: what they are (default: the table's data-noun).
  function updateCount(table, total, noun) {
    var id = table.getAttribute("data-count");
    var label = id && document.getElementById(id);
    if (!label) { return; }
    var rows = table.tBodies[0].rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) { if (!rows[i].hidden) { shown++; } }
    var of = total === null || total === undefined ? rows.length : total;
    label.textContent = shown + " of " + of + " " + (noun || table.getAttribute("data-noun") || "rows") + " shown";
  }

  function fromFragment(controls) {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    Array.prototype.forEach.call(controls, function (control) {
      var value = params.get(control.getAttribute("data-filter"));
      if (value === null) { return; }
      if (control.tagName === "SELECT" &&
          !Array.prototype.some.call(control.options, function (o) { return o.value === value; })) {
        return;  // a value this page does not offer (an old link): ignored, not an empty table
      }
      control.value = value;
    });
  }

  function toFragment(controls) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(controls, function (control) {
      var value = control.value.trim();
      if (value !== "" && value !== control.getAttribute("data-default")) {
        params.set(control.getAttribute("data-filter"), value);
      }
    });
    var fragment = params.toString();
    if (fragment !== window.location.hash.replace(/^#/, "")) {
      // replace, not push: filtering does not fill the Back button's history; a fragment change never reloads.
      window.location.replace("#" + fragment);
    }
  }

  function makeFilter(form) {
    var table = document.getElementById(form.getAttribute("data-filter-for"));
    if (!table) { return; }
    var controls = form.querySelectorAll("[data-filter]");
    fromFragment(controls);
    function apply() {
      var wanted = Array.prototype.map.call(controls, function (control) {
        return { name: control.getAttribute("data-filter"), value: control.value.trim().toLowerCase(),
                 list: control.hasAttribute("data-default"),
                 contains: control.getAttribute("data-match") === "contains" };
      }).filter(function (w) { return w.value !== "" && w.value !== "any"; });
      function matches(row, w) {
        var have = (row.getAttribute("data-" + w.name) || "").toLowerCase();
        return w.name === "city" || w.contains ? have.indexOf(w.value) !== -1 : have === w.value;
      }
      var lists = wanted.filter(function (w) { return w.list; });
      var inList = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = !wanted.every(function (w) { return matches(row, w); });
        if (lists.every(function (w) { return matches(row, w); })) { inList++; }
      });
      var chosen = form.querySelector("select[data-default] option:checked");
      updateCount(table, chosen ? inList : null, chosen && chosen.getAttribute("data-noun"));
      toFragment(controls);
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    apply();
  }

  function csvCell(text) {
    var value = /^[=+\-@\t\r]/.test(text) ? "'" + text : text;
    return /[",\n\r]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function makeExport(button) {
    var table = document.getElementById(button.getAttribute("data-export-for"));
    if (!table) { return; }
    button.addEventListener("click", function () {
      var header = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
        return th.textContent.replace(/[\u2191\u2193\u2195\u25b2\u25bc]/g, "").trim();
      });
      var lines = [header.map(csvCell).join(",")];
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        if (row.hidden) { return; }
        lines.push(Array.prototype.map.call(row.cells, function (cell) {
          return csvCell(cell.textContent.replace(/\s+/g, " ").trim());
        }).join(","));
      });
      var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = button.getAttribute("data-filename") || "export.csv";
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
    });
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("button[data-export-for]").forEach(makeExport);
  document.querySelectorAll("form[data-filter-for]").forEach(makeFilter);
}());
