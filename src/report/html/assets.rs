//! The page's own stylesheet and script, inline so that the page needs nothing else.

/// Everything before the body's content: the document type, the head with the stylesheet.
pub(super) const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolbench report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
code { background: #f4f4f4; padding: 0 .2em; }
.machine .cores, .headline { background: #f3f7fb; border-left: 4px solid #0072b2; padding: .5em .8em; }
.skipped, .quiet.warns { background: #fff4e5; border-left: 4px solid #d55e00; padding: .2em 1em; }
.quiet { background: #f3f7fb; border-left: 4px solid #009e73; padding: .5em .8em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; } dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; max-width: 540px; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: #555; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
.scroll { overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: right; }
td:first-child, th:first-child, .scaling td:last-child { text-align: left; }
.machines td, table.best td:nth-child(3), .picks td { text-align: left; }
.sortable th { cursor: pointer; background: #f4f4f4; } th { background: #f4f4f4; }
tr.oversubscribed td { color: #666; } tr.not-meaningful td { color: #777; }
tr.python td { background: #fbf8ef; font-style: italic; } tr.within-noise td { color: #777; }
tr.disturbed td { background: #fdecea; }
.peers { background: #f7f3e8; border-left: 4px solid #e69f00; padding: .2em 1em; }
.note { font-size: .85em; color: #555; }
.trend td:nth-child(2) { padding: 0 .3em; } .sparkline { display: block; }
</style>
</head>
<body>
"#;

/// Sorts a table by the clicked column: by `data-sort` when the cell has it, else by text.
pub(super) const SCRIPT: &str = r#"<script>
for (const th of document.querySelectorAll("table.sortable th")) {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0], column = th.cellIndex;
    const ascending = th.dataset.order !== "asc";
    th.dataset.order = ascending ? "asc" : "desc";
    const key = (row) => {
      const cell = row.cells[column];
      if (cell.dataset.sort === undefined) return cell.textContent;
      return cell.dataset.sort === "" ? Infinity : Number(cell.dataset.sort);
    };
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b);
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    for (const row of rows) body.appendChild(row);
  });
}
</script>
"#;

/// What closes the page, after the script.
pub(super) const END: &str = "</body>\n</html>\n";
