// The page's style. A TypeScript string rather than a .css file: vitest turns imported CSS into an empty string.
/** @internal */
export const STYLE = `
:root {
  --bg: #f7f7f8;
  --fg: #1d1d22;
  --muted: #6b6b76;
  --line: #e2e2e8;
  --card: #fff;
  --ok: #137a3a;
  --run: #1f5fbf;
  --wait: #8a6100;
  --bad: #b42318;
  --comp: #6b3fa0;
}
* {
  box-sizing: border-box;
}
a {
  color: var(--run);
}
body {
  margin: 0;
  font:
    14px / 1.45 system-ui,
    -apple-system,
    "Segoe UI",
    Roboto,
    sans-serif;
  background: var(--bg);
  color: var(--fg);
}
header {
  display: flex;
  align-items: center;
  gap: 24px;
  padding: 10px 20px;
  background: #16161d;
  color: #fff;
}
header a {
  color: #c9c9d6;
  text-decoration: none;
  margin-right: 16px;
}
header a.active,
header a:hover {
  color: #fff;
}
.brand {
  font-size: 16px;
}
.live {
  margin-left: auto;
  font-size: 12px;
  color: #c9c9d6;
}
.live::before {
  content: "";
  display: inline-block;
  width: 8px;
  height: 8px;
  border-radius: 50%;
  margin-right: 6px;
  background: #888;
}
.live[data-live="on"]::before {
  background: #2ecc71;
}
.live[data-live="off"]::before {
  background: #e74c3c;
}
main {
  padding: 16px 20px 40px;
  max-width: 1280px;
}
h1 {
  font-size: 20px;
  margin: 4px 0 12px;
}
h2 {
  font-size: 15px;
  margin: 22px 0 8px;
}
.muted {
  color: var(--muted);
}
.bar {
  display: flex;
  flex-wrap: wrap;
  gap: 8px;
  align-items: center;
  margin-bottom: 12px;
}
.tabs a {
  padding: 4px 10px;
  border: 1px solid var(--line);
  border-radius: 14px;
  text-decoration: none;
  color: var(--fg);
  background: var(--card);
}
.tabs a.active {
  background: var(--fg);
  color: #fff;
  border-color: var(--fg);
}
input,
select,
button {
  font: inherit;
  padding: 4px 8px;
  border: 1px solid var(--line);
  border-radius: 6px;
  background: var(--card);
}
button {
  cursor: pointer;
}
button.danger {
  border-color: var(--bad);
  color: var(--bad);
}
table {
  width: 100%;
  border-collapse: collapse;
  background: var(--card);
  border: 1px solid var(--line);
}
th,
td {
  text-align: left;
  padding: 6px 10px;
  border-bottom: 1px solid var(--line);
  vertical-align: top;
}
th {
  font-weight: 600;
  color: var(--muted);
  font-size: 12px;
  text-transform: uppercase;
  letter-spacing: 0.03em;
}
code,
.mono {
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 12px;
}
.badge {
  display: inline-block;
  padding: 1px 8px;
  border-radius: 10px;
  font-size: 12px;
  font-weight: 600;
  background: #eee;
  color: var(--fg);
}
.s-completed,
.s-closed,
.s-forced_closed {
  background: #dcf5e4;
  color: var(--ok);
}
.s-running,
.s-half_open {
  background: #dde8fb;
  color: var(--run);
}
.s-waiting,
.s-compensating,
.s-pending {
  background: #fbf0d3;
  color: var(--wait);
}
.s-failed,
.s-open,
.s-forced_open,
.s-compensation_failed,
.s-stalled {
  background: #fde1de;
  color: var(--bad);
}
.s-compensated,
.s-cancelled {
  background: #ece3f7;
  color: var(--comp);
}
.grid {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
  gap: 12px;
}
.card {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 12px 14px;
}
.card h3 {
  margin: 0 0 8px;
  font-size: 15px;
  display: flex;
  justify-content: space-between;
  align-items: center;
}
dl {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 2px 12px;
  margin: 0;
}
dt {
  color: var(--muted);
}
dd {
  margin: 0;
}
.error {
  color: var(--bad);
}
.pill {
  font-size: 11px;
  padding: 0 6px;
  border-radius: 8px;
  border: 1px solid var(--line);
  margin-left: 4px;
  color: var(--muted);
}
pre {
  margin: 0;
  white-space: pre-wrap;
  word-break: break-word;
  max-height: 240px;
  overflow: auto;
  font-size: 12px;
}
.pager {
  display: flex;
  gap: 8px;
  align-items: center;
  margin-top: 8px;
}
.notice {
  padding: 8px 12px;
  border-radius: 6px;
  background: #fde1de;
  color: var(--bad);
  margin-bottom: 12px;
}
`;
