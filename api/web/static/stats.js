/* Thống kê: headline figures, charts and tables for one court (with the courts
 * below it) and one period, within the user's scope (court admins: own court and
 * below; the API enforces it too). Exports download the same figures as XLSX / CSV. */
"use strict";

const $ = (id) => document.getElementById(id);
const today = new Date();

/** Courts as an indented tree, restricted to what this user may see. */
async function loadCourts() {
  const user = auth.user();
  const courts = await api("/courts");
  const kids = {};
  for (const c of courts) (kids[c.parent_id || 0] ||= []).push(c);
  const sel = $("st-court");
  const opts = [];
  const walk = (parent, depth) => {
    for (const c of (kids[parent] || []).sort((a, b) => a.name.localeCompare(b.name, "vi"))) {
      opts.push(el("option", { value: c.id }, "\u00a0\u00a0".repeat(depth) + c.name));
      walk(c.id, depth + 1);
    }
  };
  if (user.role === "court_admin" && user.court_id) {
    const own = courts.find((c) => c.id === user.court_id);
    if (own) { opts.push(el("option", { value: own.id }, own.name)); walk(own.id, 1); }
  } else {
    opts.push(el("option", { value: "" }, "Tất cả Tòa án"));
    walk(0, 0);
  }
  clear(sel, opts);
}

function query() {
  const p = new URLSearchParams({ period: $("st-period").value });
  if ($("st-court").value) p.set("court_id", $("st-court").value);
  if ($("st-field").value) p.set("field", $("st-field").value);
  if (p.get("period") === "custom") {
    const f = isoFromVn($("st-from").value), t = isoFromVn($("st-to").value);
    if (!f || !t) throw new Error("Nhập từ ngày và đến ngày theo dạng dd/mm/yyyy.");
    p.set("date_from", f); p.set("date_to", t);
  } else {
    const r = isoFromVn($("st-ref").value);
    if ($("st-ref").value.trim() && !r) throw new Error("Ngày trong kỳ phải có dạng dd/mm/yyyy.");
    if (r) p.set("ref", r);
  }
  return p;
}

function figure(value, label, id) {
  return el("div", { class: "figure", id }, el("span", { class: "value" }, value), el("span", { class: "label" }, label));
}

function table(columns, rows, empty = "Chưa có dữ liệu.") {
  if (!rows.length) return el("p", { class: "hint" }, empty);
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, columns.map(([, h]) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map(([k]) => el("td", {}, typeof k === "function" ? k(r) : r[k])))))));
}

function render(s) {
  const t = s.totals;
  $("st-label").textContent = "Kỳ thống kê: " + s.period.label;
  clear($("headline"),
    figure(t.contributed + " câu hỏi / " + t.judges + " Thẩm phán", "câu hỏi đóng góp trong kỳ", "fig-contributed"),
    figure(t.usage + " Thẩm phán đã sử dụng", "Thẩm phán đã đặt câu hỏi trong kỳ", "fig-usage"),
    figure(String(t.approved), "câu được duyệt", "fig-approved"),
    figure(String(t.asked), "lượt hỏi (" + t.unanswered + " chưa trả lời được)", "fig-asked"));
  const oneYear = new Set(s.months.map((m) => m.month.slice(0, 4))).size === 1;
  const months = s.months.map((m) => (oneYear ? "T" + +m.month.slice(5, 7) : fmtMonth(m.month)));
  barChart($("chart-months"), months, [
    { name: "Đóng góp", values: s.months.map((m) => m.contributed) },
    { name: "Được duyệt", values: s.months.map((m) => m.approved) }],
    "Số câu hỏi đóng góp và được duyệt theo tháng");
  // the courts one level below the chosen one (rows are subtree totals), short names
  const depth = s.courts.some((c) => c.depth === 1) ? 1 : 0;
  const courts = s.courts.filter((c) => c.depth === depth && (c.judges || c.contributed || c.asked))
    .sort((a, b) => b.contributed - a.contributed).slice(0, 15);
  hbarChart($("chart-courts"), courts.map((c) => c.name.replace(/^Tòa án nhân dân /, "")), courts.map((c) => c.contributed), "câu hỏi",
    "Số câu hỏi đóng góp theo Tòa án");
  lineChart($("chart-usage"), months, [
    { name: "Lượt hỏi", values: s.months.map((m) => m.asked) },
    { name: "Chưa trả lời được", values: s.months.map((m) => m.unanswered) }],
    "Số lượt hỏi theo tháng");
  clear($("top"), table([["full_name", "Họ và tên"], ["court_name", "Tòa án"], ["contributed", "Đóng góp"], ["approved", "Được duyệt"]],
    s.top_contributors, "Chưa có đóng góp trong kỳ."));
  clear($("unanswered"), s.unanswered.length
    ? el("ol", { class: "list" }, s.unanswered.map((u) => el("li", {}, u.question, el("span", { class: "hint" }, " (" + u.count + " lượt) "),
      el("a", { href: "/dong-gop?unanswered=" + u.id }, "Soạn câu trả lời"))))
    : el("p", { class: "hint" }, "Không có câu hỏi chưa trả lời."));
  // the tree: each row totals the courts below it, indented by depth
  clear($("courts-table"), table([[(c) => el("span", { class: "court-name", style: "padding-left:" + c.depth + "em" }, c.name), "Tòa án"],
    ["usage", "Đã sử dụng"], ["contributed", "Đóng góp"],
    ["approved", "Được duyệt"], ["entries_per_judge", "Câu hỏi / Thẩm phán"], ["asked", "Lượt hỏi"]], s.courts));
  lastStats = s;
  renderJudges();
}

let lastStats = null;

/** Per judge: used / not used in the period, asks, contributions, approvals, last activity. */
function renderJudges() {
  const s = lastStats;
  if (!s) return;
  const want = $("st-used").value;
  const rows = s.judges.filter((j) => !want || (want === "yes") === j.used);
  $("judges-note").textContent = s.totals.usage + " Thẩm phán đã sử dụng trong kỳ" +
    (s.judges_total > s.judges.length ? " · hiển thị " + s.judges.length + "/" + s.judges_total +
      " Thẩm phán: chọn một Tòa án để xem đủ, hoặc tải XLSX." : ".");
  const when = (j) => (j.last_active ? new Date(j.last_active).toLocaleDateString("vi-VN") : "—");
  clear($("judges-table"), table([["full_name", "Họ và tên"], [(j) => el("span", { class: "court-name" }, j.court_name), "Tòa án"],
    [(j) => el("span", { class: j.used ? "used" : "unused" }, j.status), "Tình trạng"],
    ["asked", "Lượt hỏi"], ["contributed", "Đóng góp"], ["approved", "Được duyệt"], [when, "Hoạt động gần nhất"]],
  rows, "Không có Thẩm phán nào."));
}

async function refresh() {
  try {
    const stats = await api("/stats?" + query());
    render(stats);
    flash("");
  } catch (e) { flash(e.message, "error"); }
}

async function exportFile(format) {
  try {
    const p = query();
    p.set("format", format);
    if (format === "csv") p.set("table", $("export-table").value);
    await download("/stats/export?" + p, format === "csv" ? "thong-ke.csv" : "thong-ke.xlsx");
  } catch (e) { flash(e.message, "error"); }
}

if (window.APP_READY) {
  $("st-ref").value = pad(today.getDate()) + "/" + pad(today.getMonth() + 1) + "/" + today.getFullYear();
  $("st-period").addEventListener("change", () => {
    const custom = $("st-period").value === "custom";
    document.querySelectorAll(".filters .custom").forEach((d) => { d.hidden = !custom; });
    $("st-ref").closest("div").hidden = custom;
  });
  $("stats-form").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  $("export-xlsx").addEventListener("click", () => exportFile("xlsx"));
  $("export-csv").addEventListener("click", () => exportFile("csv"));
  $("st-used").addEventListener("change", renderJudges);
  loadCourts().then(refresh).catch((e) => flash(e.message, "error"));
}
