/* Chờ giải đáp (reviewers): the questions the assistant could not answer, most asked
 * first ("hỏi 7 lần · 4 Thẩm phán"). Per item: write the answer (the contribution form,
 * linked to the item), dismiss as junk or as a duplicate of another item, assign to a
 * reviewer; tick several items to merge them into one. Closed items link to the entry
 * that answers them. Talks to /api/v1/unanswered. */
"use strict";

const $q = (id) => document.getElementById(id);
const selected = new Set();
let items = [];
let reviewers = [];

function askedLine(u) {
  return "Hỏi " + u.times_asked + " lần · " + u.judges + " Thẩm phán" +
    (u.last_asked_at ? " · lần gần nhất " + fmtDate(u.last_asked_at) : "");
}

async function act(path, body, message) {
  try {
    await api("/unanswered/" + path, { method: "POST", json: body });
    flash(message);
    await load();
  } catch (e) { flash(e.message, "error"); }
}

function assignSelect(u) {
  const id = "assign-" + u.id;
  const sel = el("select", { id, class: "inline", onchange: () => act(u.id + "/assign",
    { assignee_id: sel.value ? Number(sel.value) : null },
    sel.value ? "Đã giao câu hỏi cho " + sel.selectedOptions[0].textContent + "." : "Đã bỏ giao câu hỏi.") },
  el("option", { value: "" }, "Chưa giao"),
  reviewers.map((r) => el("option", { value: r.id, selected: r.id === u.assignee_id }, r.full_name)));
  return el("span", { class: "assign" }, el("label", { for: id, class: "inline-label" }, "Giao cho:"), sel);
}

function duplicateDialog(u) {
  const dlg = $q("dup-dialog");
  $q("dup-question").textContent = "“" + u.question + "”";
  const others = items.filter((o) => o.id !== u.id && o.status === "open");
  clear($q("dup-options"), others.length ? others.map((o) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => { dlg.close(); act(u.id + "/dismiss",
      { reason: "duplicate", duplicate_of: o.id }, "Đã đánh dấu là câu trùng; số lần hỏi được cộng vào câu gốc."); } },
    o.question), el("span", { class: "hint" }, " · " + askedLine(o))))
    : el("li", { class: "hint" }, "Không có câu hỏi chờ giải đáp nào khác."));
  dlg.showModal();
}

function entryLink(u) {
  if (!u.entry) return null;
  return u.entry.status === "approved"
    ? el("p", { class: "meta" }, "Đã được trả lời: ", el("a", { href: "/thu-vien/" + u.entry.id, class: "answer-link" }, u.entry.question))
    : el("p", { class: "meta" }, "Câu trả lời “" + u.entry.question + "” – " + u.entry.status_label.toLowerCase() + ".");
}

function itemRow(u) {
  const open = u.status === "open";
  const check = open ? el("input", { type: "checkbox", class: "check", id: "sel-" + u.id, checked: selected.has(u.id),
    "aria-label": "Chọn để gộp: " + u.question,
    onchange: (ev) => { if (ev.target.checked) selected.add(u.id); else selected.delete(u.id); mergeBar(); } }) : null;
  return el("li", { "data-unanswered-id": u.id },
    el("div", { class: "queue-head" }, check,
      el("div", {}, el("strong", { class: "question" }, u.question),
        el("p", { class: "meta times" }, statusBadge(u.status, u.dismiss_reason === "junk" ? "Không phải câu hỏi nghiệp vụ"
          : u.dismiss_reason === "duplicate" ? "Trùng câu khác" : u.status_label), " " + askedLine(u)),
        u.merged.length ? el("p", { class: "meta" }, "Đã gộp vào đây: " + u.merged.map((m) => "“" + m.question + "”").join("; ")) : null,
        entryLink(u))),
    open ? el("div", { class: "actions" },
      el("a", { class: "button primary small", href: "/dong-gop?unanswered=" + u.id }, "Soạn câu trả lời"),
      el("button", { type: "button", class: "small", onclick: () => act(u.id + "/dismiss", { reason: "junk" }, "Đã loại câu hỏi.") }, "Loại: không phải câu hỏi nghiệp vụ"),
      el("button", { type: "button", class: "small", onclick: () => duplicateDialog(u) }, "Trùng câu khác…"),
      reviewers.length ? assignSelect(u) : null)
      : (u.status === "dismissed" || u.status === "merged")
        ? el("div", { class: "actions" }, el("button", { type: "button", class: "small", onclick: () => act(u.id + "/reopen", undefined, "Đã mở lại câu hỏi.") }, "Mở lại"))
        : null);
}

function mergeBar() {
  const bar = $q("queue-merge");
  const chosen = items.filter((u) => selected.has(u.id));
  bar.hidden = chosen.length < 2;
  if (bar.hidden) return;
  const target = el("select", { id: "merge-target", class: "inline" }, chosen.map((u) => el("option", { value: u.id }, u.question)));
  clear(bar, el("p", {}, el("strong", {}, "Gộp " + chosen.length + " câu hỏi cùng nội dung"), " – số lần hỏi và số Thẩm phán được cộng dồn."),
    el("label", { for: "merge-target" }, "Giữ lại câu:"), target,
    el("div", { class: "actions" }, el("button", { type: "button", class: "primary", onclick: () => {
      const keep = Number(target.value);
      const ids = chosen.map((u) => u.id).filter((i) => i !== keep);
      selected.clear();
      act("merge", { target_id: keep, item_ids: ids }, "Đã gộp " + chosen.length + " câu hỏi.");
    } }, "Gộp"), el("button", { type: "button", onclick: () => { selected.clear(); load(); } }, "Bỏ chọn")));
}

async function load() {
  const p = new URLSearchParams({ status: $q("queue-status").value, sort: $q("queue-sort").value, limit: 100 });
  if ($q("queue-mine").checked) p.set("assigned", "me");
  try {
    const r = await api("/unanswered?" + p);
    items = r.items;
    for (const id of [...selected]) if (!items.some((u) => u.id === id && u.status === "open")) selected.delete(id);
    $q("queue-count").textContent = r.total + " câu hỏi";
    clear($q("queue-list"), items.length ? items.map(itemRow) : el("li", { class: "hint" }, "Không có câu hỏi nào."));
    mergeBar();
  } catch (e) { flash(e.message, "error"); }
}

if (window.APP_READY) {
  for (const id of ["queue-status", "queue-sort", "queue-mine"]) $q(id).addEventListener("change", () => { selected.clear(); load(); });
  $q("queue-form").addEventListener("submit", (ev) => ev.preventDefault());
  api("/unanswered/reviewers").then((r) => { reviewers = r; }).catch(() => { reviewers = []; }).finally(load);
}
