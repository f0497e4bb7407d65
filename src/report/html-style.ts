// The report's stylesheet. Colours are CSS variables, declared for light, for dark
// (prefers-color-scheme) and again light for print; the page script reads them for the charts.

const LIGHT: Record<string, string> = {
  bg: '#f6f7f9',
  panel: '#ffffff',
  text: '#1b2130',
  muted: '#5d6676',
  border: '#dde2ea',
  grid: 'rgba(27,33,48,0.09)',
  axis: '#4b5363',
  code: '#eef1f5',
  ok: '#15803d',
  'ok-bg': '#dcfce7',
  fail: '#b91c1c',
  'fail-bg': '#fee2e2',
  warn: '#92400e',
  'warn-bg': '#fef3c7',
  limit: '#dc2626',
  c0: '#2563eb',
  c1: '#ea580c',
  c2: '#16a34a',
  c3: '#9333ea',
  c4: '#0891b2',
  c5: '#db2777',
  c6: '#a16207',
  c7: '#4f46e5',
};

const DARK: Record<string, string> = {
  bg: '#0e1218',
  panel: '#161b23',
  text: '#e3e7ee',
  muted: '#98a2b3',
  border: '#2a3240',
  grid: 'rgba(227,231,238,0.10)',
  axis: '#a9b2c1',
  code: '#222a36',
  ok: '#4ade80',
  'ok-bg': 'rgba(74,222,128,0.13)',
  fail: '#f87171',
  'fail-bg': 'rgba(248,113,113,0.15)',
  warn: '#fbbf24',
  'warn-bg': 'rgba(251,191,36,0.13)',
  limit: '#f87171',
  c0: '#60a5fa',
  c1: '#fb923c',
  c2: '#4ade80',
  c3: '#c084fc',
  c4: '#22d3ee',
  c5: '#f472b6',
  c6: '#facc15',
  c7: '#a5b4fc',
};

function variables(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `--${name}:${value};`)
    .join('');
}

export const REPORT_CSS = `
:root{color-scheme:light dark;${variables(LIGHT)}}
@media (prefers-color-scheme: dark){:root{${variables(DARK)}}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:0 20px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--border)}
h3{font-size:15px;margin:16px 0 8px}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);padding:1px 5px;border-radius:4px}
.muted{color:var(--muted)}
.page-header{padding:24px 0 8px}
.page-header .subtitle{margin:4px 0;font-size:15px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.page-header .meta{margin:0;color:var(--muted)}
.toc{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:4px 16px;padding:8px 20px;margin:0 -20px;
  background:var(--bg);border-bottom:1px solid var(--border)}
.toc a{color:var(--muted);text-decoration:none;font-weight:500}
.toc a:hover{color:var(--text)}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:999px;border:1px solid var(--border);margin-right:6px}
.badge.ok{color:var(--ok);background:var(--ok-bg);border-color:transparent}
.badge.fail{color:var(--fail);background:var(--fail-bg);border-color:transparent}
.badge.warn{color:var(--warn);background:var(--warn-bg);border-color:transparent}
.badge.plain{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--border);border-top:4px solid var(--phase);border-radius:8px;padding:12px 16px}
.card h3{margin:0 0 4px;font-size:16px;display:flex;align-items:center;gap:8px;word-break:break-word}
.card .badges{margin:0 0 10px}
.card .meta{margin:10px 0 0;color:var(--muted);font-size:12.5px}
.card .options{margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px 16px;margin:0}
.stats div{min-width:0}
.stats dt{color:var(--muted);font-size:12px}
.stats dd{margin:0;font-size:17px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.stats .bad dd,td.bad{color:var(--fail)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;background:var(--phase);margin-right:6px;flex:none}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:14px}
.chart{margin:0;background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:12px 14px;min-width:0}
.chart figcaption{font-weight:600;margin-bottom:6px}
.chart .plot{width:100%;min-height:120px}
.chart .table-wrap{margin-top:8px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
table.numbers,table.docs{width:100%;background:var(--panel);border:1px solid var(--border);border-radius:6px}
th,td{padding:5px 10px;border-bottom:1px solid var(--border);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{color:var(--muted);font-weight:600;font-size:12.5px}
tbody th{font-weight:500}
tr.group th{text-align:left;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;background:var(--code)}
table.docs td,table.docs th,table.thresholds td:nth-child(2),table.thresholds th:nth-child(2){text-align:left}
table.by-phase{width:auto;min-width:50%}
table.by-phase td,table.by-phase thead th{min-width:110px;max-width:260px;white-space:normal;overflow-wrap:anywhere}
.chart table.numbers{border:0;font-size:12.5px}
.chart th,.chart td{padding:4px 6px}
.notes{padding-left:0;list-style:none}
.notes li{margin:6px 0;display:flex;gap:4px;align-items:baseline}
.uplot{font-family:inherit;color:var(--text)}
.uplot .u-legend{font-size:12.5px;text-align:left}
.uplot .u-legend .u-series > *{padding:2px 4px}
.uplot .u-legend th{font-weight:500}
.no-data{color:var(--muted);padding:24px 0}
@media print{
  :root{color-scheme:light;${variables(LIGHT)}}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;padding:0}
  .toc{display:none}
  .charts,.cards{display:block}
  .card,.chart{break-inside:avoid;page-break-inside:avoid;margin:0 0 10px;border-color:#ccc;background:#fff}
  .card{border-top-color:var(--phase)}
  h2{break-after:avoid;page-break-after:avoid}
  .table-wrap{overflow:visible}
  th,td{white-space:normal}
  /* The script redraws charts at the printed width; should a browser not tell it, scale them down. */
  .uplot,.uplot .u-wrap{width:100% !important;max-width:100%}
  .uplot .u-wrap{height:auto !important}
  .uplot canvas{width:100% !important;height:auto !important}
  .uplot .u-cursor-x,.uplot .u-cursor-y,.uplot .u-select{display:none}
}
`;
