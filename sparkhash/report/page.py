"""The self-contained review page: static summary, all data as embedded JSON, a small script
that renders one page of clusters at a time (so 10 000 clusters stay responsive).

No external assets: thumbnails are data URIs, styles and script are inline. The script builds
the DOM with textContent (paths are never parsed as HTML), sets `data-render="ok"` on <body>
after each successful render, and shows any script error in a visible #js-error box.
"""

from __future__ import annotations

import html
import json

DEFAULT_PAGE_SIZE = 50

STYLE = """
*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
color:#1f2328;background:#f6f8fa}header{background:#fff;border-bottom:1px solid #d0d7de;padding:10px 20px}
h1{font-size:20px;margin:0 0 6px}.totals{display:flex;flex-wrap:wrap;gap:8px 22px;margin:0;padding:0;
list-style:none}.totals b{font-size:17px}.note{color:#57606a;font-size:12px;margin:4px 0 0}
nav{position:sticky;top:0;z-index:2;background:#eaeef2;padding:6px 20px;display:flex;gap:10px;
align-items:center;flex-wrap:wrap;border-bottom:1px solid #d0d7de}nav input[type=search]{width:260px}
main{padding:6px 20px 40px}section.cluster{background:#fff;border:1px solid #d0d7de;border-radius:6px;
margin:8px 0;padding:6px 10px}section.cluster h2{font-size:14px;margin:0 0 6px;font-weight:600}
.meta{color:#57606a;font-weight:400}.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{width:176px;border:1px solid #d0d7de;border-radius:4px;padding:6px;background:#fff;font-size:12px}
.card.keep{border:2px solid #1a7f37}.thumb{width:160px;height:160px;display:flex;align-items:center;
justify-content:center;background:#eaeef2;overflow:hidden}.thumb img{max-width:160px;max-height:160px}
.placeholder{color:#57606a;font-size:11px;text-align:center;padding:8px}
.badge{display:inline-block;border-radius:10px;padding:0 7px;color:#fff;font-size:11px;font-weight:600}
.badge.keep{background:#1a7f37}.badge.del{background:#8c959f}.path{word-break:break-all;margin:3px 0;
font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:11px}.dim{color:#57606a}
.frame{position:relative;display:inline-block;line-height:0}.mbox{position:absolute;
border:2px solid #cf222e;box-shadow:0 0 0 1px #fff;pointer-events:none}.mbox.kept{border-style:dashed}
.rel{color:#0550ae;font-size:11px}
#js-error{background:#ffebe9;border:1px solid #cf222e;color:#82071e;padding:8px 20px;white-space:pre-wrap}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var all = data.clusters, view = all, page = 0, size = data.page_size;
  var main = document.getElementById("clusters");
  var pageInfo = document.getElementById("page-info");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function bytes(n) {
    if (n === null || n === undefined) return "size ?";
    var u = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
  function outline(box, cls) {
    // a matched box (fractions of the image) outlined over its thumbnail
    var b = el("div", cls);
    b.style.left = (100 * box[0]) + "%";
    b.style.top = (100 * box[1]) + "%";
    b.style.width = (100 * (box[2] - box[0])) + "%";
    b.style.height = (100 * (box[3] - box[1])) + "%";
    return b;
  }
  function card(m, keptFrame) {
    var c = el("div", m.k ? "card keep" : "card");
    var t = el("div", "thumb");
    if (m.t >= 0) {
      var img = el("img");
      img.src = data.thumbs[m.t];
      img.alt = m.p;
      img.loading = "lazy";
      var f = el("span", "frame");
      f.appendChild(img);
      if (m.box) f.appendChild(outline(m.box, "mbox"));
      t.appendChild(f);
      c.frame = f;
    } else {
      t.appendChild(el("div", "placeholder", "no preview" + (m.err ? ": " + m.err : "")));
    }
    c.appendChild(t);
    c.appendChild(el("span", m.k ? "badge keep" : "badge del", m.k ? "KEEP" : "delete"));
    c.appendChild(el("div", "path", m.p));
    var dims = (m.w && m.h) ? m.w + "\u00d7" + m.h + " \u00b7 " : "";
    c.appendChild(el("div", "dim", dims + bytes(m.len)));
    if (!m.k) c.appendChild(el("div", "dim", m.links ? "to kept: " + m.links : "nearest d=" + m.near));
    if (!m.k && m.rel) c.appendChild(el("div", "rel", m.rel));
    if (!m.k && m.kbox && keptFrame) {
      // hovering a copy outlines the part of the kept file it matched
      var shown = null;
      c.onmouseenter = function () { shown = outline(m.kbox, "mbox kept"); keptFrame.appendChild(shown); };
      c.onmouseleave = function () { if (shown) shown.remove(); shown = null; };
    }
    return c;
  }
  function section(cl) {
    var s = el("section", "cluster");
    s.id = "cluster-" + cl.id;
    var h = el("h2", null, "Cluster " + cl.id + " ");
    var more = cl.shown < cl.size ? " (first " + cl.shown + " shown)" : "";
    h.appendChild(el("span", "meta", "\u00b7 " + cl.size + " images" + more + " \u00b7 distance " +
      cl.min_d + "\u2013" + cl.max_d + " (" + cl.algs.join(", ") + ") \u00b7 reclaim " + bytes(cl.reclaim)));
    s.appendChild(h);
    var cards = el("div", "cards");
    var keptFrame = null;
    cl.members.forEach(function (m) {
      var c = card(m, keptFrame);
      if (m.k) keptFrame = c.frame || null;
      cards.appendChild(c);
    });
    s.appendChild(cards);
    return s;
  }
  function pages() { return Math.max(1, Math.ceil(view.length / size)); }
  function render() {
    page = Math.min(Math.max(0, page), pages() - 1);
    try { history.replaceState(null, "", "#page=" + (page + 1)); } catch (err) { /* some viewers forbid it */ }
    main.textContent = "";
    var frag = document.createDocumentFragment();
    view.slice(page * size, (page + 1) * size).forEach(function (cl) { frag.appendChild(section(cl)); });
    main.appendChild(frag);
    pageInfo.textContent = "Page " + (page + 1) + " of " + pages() + " \u00b7 " + view.length + " clusters";
    document.body.setAttribute("data-render", "ok");
    document.body.setAttribute("data-rendered-clusters", String(main.children.length));
  }
  var sorts = {
    size: function (a, b) { return a.order - b.order; },
    uncertain: function (a, b) { return (b.max_d - a.max_d) || (b.size - a.size) || (a.order - b.order); },
    bytes: function (a, b) { return ((b.reclaim || 0) - (a.reclaim || 0)) || (a.order - b.order); }
  };
  function refilter() {
    var q = document.getElementById("filter").value.toLowerCase();
    var key = document.getElementById("sort").value;
    view = all.filter(function (cl) {
      return !q || cl.members.some(function (m) { return m.p.toLowerCase().indexOf(q) >= 0; });
    }).sort(sorts[key]);
    page = 0;
    render();
  }
  document.getElementById("prev").onclick = function () { page--; render(); window.scrollTo(0, 0); };
  document.getElementById("next").onclick = function () { page++; render(); window.scrollTo(0, 0); };
  document.getElementById("sort").onchange = refilter;
  document.getElementById("filter").oninput = refilter;
  var wanted = /page=(\d+)/.exec(location.hash);
  if (wanted) page = parseInt(wanted[1], 10) - 1;
  render();
})();
"""

ERROR_HOOK = (
    "window.addEventListener('error',function(e){var d=document.getElementById('js-error');"
    "d.hidden=false;d.textContent='Script error: '+e.message;document.body.setAttribute('data-render','error');});"
)


def _human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    value, units = float(n), ["B", "KB", "MB", "GB", "TB", "PB"]
    i = 0
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    return f"{int(value)} {units[i]}" if i == 0 else f"{value:.1f} {units[i]}"


def _json_for_script(data: dict) -> str:
    """JSON that cannot end the <script> element early."""
    return (
        json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--")
    )


def render_page(data: dict, summary: dict) -> str:
    """The whole HTML document. `data`: clusters, thumbs, page_size (see report.build);
    `summary`: images, clusters, to_delete, bytes_reclaimable, bytes_total, shown, source, generated,
    and optionally policy (the keep policy that chose each cluster's kept file)."""
    e = html.escape
    if summary["bytes_reclaimable"] is not None:
        reclaim = (_human_bytes(summary["bytes_reclaimable"]), "reclaimable")
    else:
        shown_bytes = sum(c["reclaim"] or 0 for c in data["clusters"])
        reclaim = (
            f"\u2265 {_human_bytes(shown_bytes)}",
            "reclaimable (readable files of the shown clusters; pass --hashes for the total)",
        )
    shown = summary["shown"]
    items = [
        ("images in clusters", f"{summary['images']:,}"),
        ("clusters", f"{summary['clusters']:,}"),
        ("files not kept", f"{summary['to_delete']:,}"),
        (reclaim[1], reclaim[0]),
    ]
    totals = "".join(f"<li><b>{e(v)}</b> {e(k)}</li>" for k, v in items)
    note = (
        f"Showing the top {shown:,} of {summary['clusters']:,} clusters (largest first, then the most uncertain: "
        f"largest distance between members). Source: {summary['source']}. Generated {summary['generated']}."
    )
    if summary.get("policy"):
        note += f" Kept file of each cluster chosen by the keep policy {summary['policy']}."
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>sparkhash duplicate review</title><style>{STYLE}</style>
<script>{ERROR_HOOK}</script></head>
<body data-render="pending">
<header><h1>Duplicate review</h1><ul class="totals" id="summary">{totals}</ul>
<p class="note">{e(note)}</p></header>
<div id="js-error" hidden></div>
<nav><button id="prev" type="button">&larr; previous</button><span id="page-info">loading&hellip;</span>
<button id="next" type="button">next &rarr;</button>
<label>order <select id="sort"><option value="size">largest first</option>
<option value="uncertain">most uncertain first</option><option value="bytes">most bytes first</option></select></label>
<label>path contains <input id="filter" type="search" placeholder="filter clusters"></label></nav>
<main id="clusters"><noscript>This page needs JavaScript to show the clusters.</noscript></main>
<script type="application/json" id="report-data">{_json_for_script(data)}</script>
<script>{SCRIPT}</script>
</body></html>
"""
