/* City Data Practices Index report: sortable tables and row filters.
 * Plain JavaScript, no dependencies, nothing fetched: works from file:// offline.
 * Tables with class "sortable" sort on a header click (numbers read from data-v on the cell).
 * A form with data-filter-for="<table id>" filters that table's rows: each control's data-filter
 * names the row attribute it matches (data-state, data-band, ...); "city", and a control with
 * data-match="contains" (the data dictionary's search), match a substring.
 * A button with data-export-for="<table id>" downloads the rows currently shown as CSV, built in the page
 * (a Blob: nothing leaves the machine). A table with data-csv-spec (the targets table) writes the values
 * each row carries in data-csv, the columns and values of `cdpi targets --format csv`; any other table,
 * its headings and cell text. Each list of the targets table saves under a name of its own (spec.files).
 * Text that a spreadsheet would run as a formula gets a leading apostrophe, as in every CSV cdpi writes
 * (warehouse/spreadsheet.py).
 * The filters in use are kept in the address's fragment (#state=OH&next=gold), so a filtered view can be
 * bookmarked or sent, and opening such an address applies them (works from file:// too); a value the page
 * does not offer, or a filter it does not have, is left out with a notice saying so. A control with
 * data-default (the targets table's "List") starts at that value and leaves it out of the fragment; its
 * value "any" matches every row, and the count line counts among the rows of the list chosen, named by
 * the chosen option's data-noun.
 * Printing opens every closed <details> (the targets table's folded gaps and why-call) and closes them again
 * afterwards; the print stylesheet does the same without script where the browser knows ::details-content. */
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

  // The filters the address names, set on the controls. A value a list does not offer (an old or edited link,
  // #state=ZZ) or a filter the page does not have is not applied, and a notice above the table says so:
  // "showing all states" must not pass for the filter the link promised.
  function fromFragment(form, controls) {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var known = {};
    var problems = [];
    Array.prototype.forEach.call(controls, function (control) {
      var name = control.getAttribute("data-filter");
      known[name] = true;
      var value = params.get(name);
      if (value === null) { return; }
      if (control.tagName === "SELECT") {
        var wanted = value.trim().toLowerCase();
        var option = Array.prototype.find.call(control.options, function (o) { return o.value.toLowerCase() === wanted; });
        if (!option) {
          problems.push("No " + (control.getAttribute("data-name") || name) + " \u201c" + shorten(value) +
                        "\u201d in this report: showing " + everything(control) + ".");
          return;
        }
        value = option.value;   // #state=or finds OR
      }
      control.value = value;
    });
    params.forEach(function (value, name) {
      if (!known[name]) { problems.push("This page has no filter \u201c" + shorten(name) + "\u201d: it is left out."); }
    });
    showNotice(form, problems.join(" "));
  }

  function shorten(text) { return text.length > 40 ? text.slice(0, 40) + "\u2026" : text; }

  // What a select shows when none of its values is chosen ("all states"), in words for the notice.
  function everything(control) {
    var said = control.getAttribute("data-all");
    if (said) { return said; }
    var none = control.getAttribute("data-default") || "";
    var option = Array.prototype.find.call(control.options, function (o) { return o.value === none; });
    return option ? option.textContent.trim().toLowerCase() : "every row";
  }

  // The notice under the filters (made on first use, text only); empty text hides it.
  function showNotice(form, text) {
    var notice = form.nextElementSibling;
    if (!notice || !notice.classList.contains("filter-notice")) {
      if (!text) { return; }
      notice = document.createElement("p");
      notice.className = "notice filter-notice";
      notice.setAttribute("role", "status");
      form.parentNode.insertBefore(notice, form.nextSibling);
    }
    notice.textContent = text;
    notice.hidden = !text;
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
    fromFragment(form, controls);
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
    // A filter chosen on the page replaces the address's: the notice about the address no longer applies.
    function chosen() { showNotice(form, ""); apply(); }
    form.addEventListener("input", chosen);
    form.addEventListener("change", chosen);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { window.setTimeout(chosen, 0); });
    apply();
  }

  // warehouse/spreadsheet.py's neutralize: text that starts with = + - @, a tab or a carriage return gets a
  // leading apostrophe, so a spreadsheet reads it as text and never runs it as a formula.
  function neutralize(text) { return /^[=+\-@\t\r]/.test(text) ? "'" + text : text; }

  function quoted(value) { return /[",\n\r]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value; }

  function csvCell(text) { return quoted(neutralize(text)); }

  function parsed(element, name) {
    try { return JSON.parse(element.getAttribute(name) || "null"); } catch (e) { return null; }
  }

  // Rows that carry their values (data-csv, what `cdpi targets --format csv` writes for them): the CLI's
  // columns of their list, or, when the rows shown mix lists, a "list" column and every list's columns.
  // Only text columns (spec.text) are neutralized: a number such as -0.02 stays a number, as in the CLI's CSV.
  function dataLines(spec, rows) {
    var statuses = [];
    rows.forEach(function (row) {
      var status = row.getAttribute("data-status");
      if (statuses.indexOf(status) === -1) { statuses.push(status); }
    });
    var lists = Object.keys(spec.columns);
    var columns = spec.columns[statuses.length === 1 ? statuses[0] : lists[0]] || [];
    if (statuses.length > 1) {
      columns = ["list"];
      lists.forEach(function (list) {
        spec.columns[list].forEach(function (c) { if (columns.indexOf(c) === -1) { columns.push(c); } });
      });
    }
    var lines = [columns.map(quoted).join(",")];
    rows.forEach(function (row) {
      var status = row.getAttribute("data-status");
      var values = parsed(row, "data-csv") || {};
      lines.push(columns.map(function (c) {
        var value = c === "list" && statuses.length > 1 ? spec.list[status] : values[c];
        if (value === null || value === undefined) { return ""; }
        return spec.text.indexOf(c) === -1 ? quoted(String(value)) : csvCell(String(value));
      }).join(","));
    });
    return lines;
  }

  // Any other table: its headings and the text of its cells.
  function textLines(table, rows) {
    var header = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return th.textContent.replace(/[\u2191\u2193\u2195\u25b2\u25bc]/g, "").trim();
    });
    var lines = [header.map(csvCell).join(",")];
    rows.forEach(function (row) {
      lines.push(Array.prototype.map.call(row.cells, function (cell) {
        return csvCell(cell.textContent.replace(/\s+/g, " ").trim());
      }).join(","));
    });
    return lines;
  }

  // The CSV of the rows shown, in the order shown (CRLF lines, as spreadsheets expect).
  function shownCsv(table) {
    var rows = Array.prototype.filter.call(table.tBodies[0].rows, function (row) { return !row.hidden; });
    var spec = parsed(table, "data-csv-spec");
    var lines = spec ? dataLines(spec, rows) : textLines(table, rows);
    return lines.join("\r\n") + "\r\n";
  }

  // The file name: a table whose spec names a file per list (the targets table) saves the rows of one list
  // under that list's name and rows of several under spec.files.any; any other, the button's data-filename.
  function fileName(button, table) {
    var spec = parsed(table, "data-csv-spec");
    if (spec && spec.files) {
      var statuses = [];
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var status = row.getAttribute("data-status");
        if (!row.hidden && statuses.indexOf(status) === -1) { statuses.push(status); }
      });
      var name = spec.files[statuses.length === 1 ? statuses[0] : "any"];
      if (name) { return name; }
    }
    return button.getAttribute("data-filename") || "export.csv";
  }

  function makeExport(button) {
    var table = document.getElementById(button.getAttribute("data-export-for"));
    if (!table) { return; }
    button.addEventListener("click", function () {
      var blob = new Blob(["\ufeff" + shownCsv(table)], { type: "text/csv;charset=utf-8" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = fileName(button, table);
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
    });
  }

  // Paper has no disclosure to click: what is folded on screen prints open, and the page is as it was after.
  function printOpen() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("button[data-export-for]").forEach(makeExport);
  document.querySelectorAll("form[data-filter-for]").forEach(makeFilter);
  printOpen();
}());
