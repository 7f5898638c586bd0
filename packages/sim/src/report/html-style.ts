/** The report's inline stylesheet and script: no font, image or script is fetched from anywhere. */

export const HTML_CSS = `
:root{--fg:#1d2430;--muted:#5f6b7a;--line:#e3e7ec;--bg:#ffffff;--panel:#f6f8fa;--accent:#4e79a7;--warn:#b06a00;--bad:#b42318;--good:#2e7d32}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:22px 32px 10px;border-bottom:1px solid var(--line);background:var(--panel)}
h1{margin:0 0 4px;font-size:22px;font-weight:650;letter-spacing:-.01em}
.meta{margin:0 0 10px;color:var(--muted)}
nav{display:flex;flex-wrap:wrap;gap:4px 14px}
nav a{color:var(--accent);text-decoration:none;font-size:13px}
nav a:hover{text-decoration:underline}
main{max-width:960px;margin:0 auto;padding:8px 32px 32px}
section{margin:28px 0 8px}
h2{font-size:17px;margin:0 0 6px;font-weight:650}
h3{font-size:14px;margin:16px 0 4px;font-weight:600}
.intro{margin:0 0 10px;color:var(--muted);max-width:760px}
.facts{margin:2px 0 8px;color:var(--fg)}
.muted{color:var(--muted)}
.small{font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(135px,1fr));gap:10px;margin:20px 0 8px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.card-label{font-size:12px;color:var(--muted)}
.card-value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.card-detail{font-size:12px;color:var(--muted);margin-top:2px}
.card.warn .card-value{color:var(--warn)}
.card.bad .card-value{color:var(--bad)}
.card.good .card-value{color:var(--good)}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}
svg text{font-family:inherit;font-size:12px;fill:var(--fg)}
svg text.axis{fill:var(--muted);font-size:11px}
svg text.note{fill:var(--muted);font-variant-numeric:tabular-nums}
svg text.in-bar{fill:#fff;font-size:11px;font-weight:600}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{stroke:var(--muted);stroke-width:1}
svg .ci{stroke:#1d2430;stroke-width:1.4}
svg .expected{fill:#fff;stroke:#1d2430;stroke-width:1.4}
svg .volume{fill:#9aa7b6}
svg .pair-a{fill:#fff;stroke:#8593a3;stroke-width:1}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:2px 0 10px;font-size:12px;color:var(--muted)}
.legend span{display:inline-flex;align-items:center;gap:6px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px}
.split{border-top:1px solid var(--line);padding-top:6px;margin-top:10px}
.table-wrap{overflow-x:auto;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);background:var(--panel);cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" ▲";font-size:10px}
th.sorted-desc::after{content:" ▼";font-size:10px}
td{overflow-wrap:break-word}
td.nowrap{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.spark span{display:inline-block;height:10px;border-radius:2px}
ul.warnings{margin:0;padding-left:20px;color:var(--warn)}
details{margin:26px 0;border:1px solid var(--line);border-radius:8px;padding:6px 16px}
details>summary{cursor:pointer;font-weight:600;padding:6px 0}
footer{max-width:960px;margin:0 auto;padding:16px 32px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{nav,footer{display:none}details{border:0}}
`;

/**
 * Sortable tables (click a heading) and a mark that the script ran, so a headless browser test
 * can tell that it did and that nothing threw.
 */
export const HTML_SCRIPT = `
(function () {
  var root = document.documentElement;
  window.addEventListener("error", function (e) { root.setAttribute("data-script-error", String(e.message)); });
  function value(td) { var v = td.getAttribute("data-v"); return v !== null && v !== "" && !isNaN(+v) ? +v : (v !== null ? v : td.textContent); }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("th");
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("sorted-asc");
        heads.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(asc ? "sorted-asc" : "sorted-desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a.cells[col]), y = value(b.cells[col]);
          var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  root.setAttribute("data-script", "ok");
})();
`;
