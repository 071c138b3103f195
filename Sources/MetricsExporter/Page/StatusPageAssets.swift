/// The status page's inline CSS and JS. Inline because the page must work air-gapped: no font,
/// stylesheet or script is ever fetched from elsewhere. The script reads no data from the page
/// into HTML (it moves server-rendered, already escaped nodes), so it cannot inject anything.
extension StatusPage {
    static let style = """
    :root{--bg:#f7f7f9;--fg:#1d1f24;--muted:#6b7080;--line:#dde0e6;--card:#fff}
    @media (prefers-color-scheme:dark){:root{--bg:#15171c;--fg:#e6e7ea;--muted:#9aa0ae;--line:#2c3038;--card:#1d2027}}
    *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
    header{display:flex;align-items:baseline;gap:1em;padding:12px 20px;border-bottom:1px solid var(--line);background:var(--card)}
    h1{font-size:18px;margin:0}h2{font-size:15px;margin:18px 0 8px}
    main{padding:0 20px 24px;max-width:1400px}
    .muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}
    .summary{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
    .tile{padding:6px 12px;border-radius:6px;font-weight:600;color:#fff}.tile .n{font-size:18px;margin-right:4px}
    .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:700;color:#fff;white-space:nowrap}
    .s-reject{background:#6b7280}.s-proxy{background:#2563eb}.s-migrating{background:#d97706}.s-complete{background:#15803d}.s-unknown{background:#9ca3af}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}
    th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
    td[data-v]{font-variant-numeric:tabular-nums}
    th{cursor:pointer;user-select:none;white-space:nowrap;font-size:12px;color:var(--muted)}
    th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
    .diag{display:inline-block;padding:0 6px;margin:1px 0;border-radius:4px;background:#fde2e1;color:#8a1c13;font-size:12px}
    .bad{color:#c0261a;font-weight:600}.ok{color:#15803d;font-weight:600}
    .health{list-style:none;padding:0;margin:0}.health li{padding:2px 0}.health .sub{padding-left:22px;color:var(--muted);word-break:break-all}
    .dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:8px}.dot.ok{background:#16a34a}.dot.bad{background:#dc2626}
    .events{padding-left:0;list-style:none;margin:0}.events li{padding:4px 0;border-bottom:1px solid var(--line);word-break:break-word}
    code{font-size:12px;color:var(--muted)}
    @media (max-width:720px){
      main{padding:0 10px 20px}
      table,thead,tbody,tr,td{display:block;border:0}thead{display:none}
      tr{border:1px solid var(--line);border-radius:6px;margin-bottom:10px;background:var(--card);padding:4px 0}
      td{display:flex;justify-content:space-between;gap:12px;padding:3px 10px;border:0;text-align:right}
      td::before{content:attr(data-label);color:var(--muted);text-align:left}
    }
    """

    /// Sorting: a click (or Enter) on a header sorts by that column's `data-v`, again reverses.
    /// Live: each event on `/api/v1/events/stream` (and a slow timer, since lags move without
    /// events) re-fetches this page and swaps in its `#live`, keeping the chosen sort.
    static let script = """
    (function(){
    var sortCol=null,sortDir=1;
    function sortTable(){var t=document.getElementById('topics');if(!t||sortCol===null)return;
    var th=t.tHead.rows[0].cells[sortCol],num=th.getAttribute('data-type')==='n',b=t.tBodies[0];
    var rows=Array.prototype.slice.call(b.rows);
    rows.sort(function(x,y){var a=x.cells[sortCol].getAttribute('data-v'),c=y.cells[sortCol].getAttribute('data-v');
    if(num){var fa=a===''?-Infinity:parseFloat(a),fc=c===''?-Infinity:parseFloat(c);return (fa-fc)*sortDir;}
    return a.localeCompare(c)*sortDir;});
    rows.forEach(function(r){b.appendChild(r);});
    Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h,i){if(i===sortCol)h.setAttribute('aria-sort',sortDir>0?'ascending':'descending');else h.removeAttribute('aria-sort');});}
    function onHeader(e){var th=e.target.closest('th[data-col]');if(!th)return;if(e.type==='keydown'&&e.key!=='Enter')return;
    var c=parseInt(th.getAttribute('data-col'),10);if(c===sortCol)sortDir=-sortDir;else{sortCol=c;sortDir=1;}sortTable();}
    document.addEventListener('click',onHeader);document.addEventListener('keydown',onHeader);
    var busy=false,again=false;
    function refresh(){if(busy){again=true;return;}busy=true;
    fetch(window.location.pathname,{headers:{'Accept':'text/html'},cache:'no-store'}).then(function(r){if(!r.ok)throw new Error(r.status);return r.text();})
    .then(function(text){var doc=new DOMParser().parseFromString(text,'text/html');var fresh=doc.getElementById('live'),cur=document.getElementById('live');
    if(fresh&&cur){cur.replaceChildren.apply(cur,Array.prototype.slice.call(fresh.childNodes));sortTable();}})
    .catch(function(){}).then(function(){busy=false;if(again){again=false;refresh();}});}
    if(window.EventSource){var es=new EventSource('api/v1/events/stream');es.addEventListener('migration',refresh);}
    setInterval(refresh,15000);
    })();
    """
}
