/* Duyệt: the pending queue; for the selected entry its changes against the previous
 * revision, and approve / reject (with a reason) / edit. The entry's version is sent
 * with every action so that two reviewers never overwrite each other (409). */
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS_DIFFED = [["question", "Câu hỏi"], ["answer", "Trả lời"], ["field", "Lĩnh vực"],
  ["citation_text", "Căn cứ pháp lý"], ["tags", "Thẻ"], ["article_ids", "Điều luật"]];
const asText = (v) => (Array.isArray(v) ? v.join(", ") : v || "");
let selected = null;

async function loadQueue(selectId) {
  const ul = $("queue");
  try {
    const r = await api("/review/queue?limit=100");
    $("queue-count").textContent = String(r.total);
    if (!r.items.length) { clear(ul, el("li", { class: "hint" }, "Không có câu hỏi nào chờ duyệt.")); return; }
    clear(ul, r.items.map((e) => el("li", {},
      el("button", { type: "button", class: "item" + (e.id === selectId ? " current" : ""), "data-entry-id": e.id, onclick: () => openEntry(e.id) },
        el("span", { class: "q" }, e.question),
        el("span", { class: "hint" }, (e.author_name || "") + " · " + (e.court_name || "") + " · " + fmtDate(e.submitted_at || e.updated_at))))));
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

/** The latest earlier revision whose content differs from the entry as it is now. */
function previousSnapshot(entry) {
  const revs = [...entry.revisions].sort((x, y) => y.version - x.version);
  return revs.find((r) => FIELDS_DIFFED.some(([k]) => asText(r.snapshot[k]) !== asText(entry[k]))) || null;
}

function diffTable(entry, prev) {
  return el("dl", { class: "diff" }, FIELDS_DIFFED.flatMap(([k, label]) => {
    const now = asText(entry[k]);
    const before = prev ? asText(prev.snapshot[k]) : now;
    return [el("dt", {}, label), el("dd", { class: k === "answer" ? "answer-text" : "" }, before === now ? now || "—" : wordDiff(before, now))];
  }));
}

function editForm(entry) {
  const f = el("form", { class: "edit" },
    el("label", { for: "ed-question" }, "Câu hỏi"), el("textarea", { id: "ed-question", rows: 3 }, entry.question),
    el("label", { for: "ed-answer" }, "Trả lời"), el("textarea", { id: "ed-answer", rows: 8 }, entry.answer),
    el("label", { for: "ed-citation" }, "Căn cứ pháp lý"), el("input", { id: "ed-citation", value: entry.citation_text }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Lưu thay đổi"),
      el("button", { type: "button", onclick: () => openEntry(entry.id) }, "Hủy")));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("/review/" + entry.id, { method: "PATCH", json: {
        question: $("ed-question").value.trim(), answer: $("ed-answer").value.trim(),
        citation_text: $("ed-citation").value.trim(), version: entry.version } });
      flash("Đã lưu thay đổi.");
      openEntry(entry.id);
    } catch (e) { flash(e.message, "error"); }
  });
  return f;
}

function rejectForm(entry) {
  const f = el("form", { class: "reject" },
    el("label", { for: "reject-reason" }, "Lý do từ chối (người soạn sẽ thấy)"),
    el("textarea", { id: "reject-reason", rows: 3, required: true, maxlength: 2000 }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "danger" }, "Xác nhận từ chối"),
      el("button", { type: "button", onclick: () => openEntry(entry.id) }, "Hủy")));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const reason = $("reject-reason").value.trim();
    if (!reason) { $("reject-reason").focus(); return; }
    await act(entry, "reject", { reason, version: entry.version }, "Đã từ chối câu hỏi.");
  });
  return f;
}

async function act(entry, action, body, message) {
  try {
    await api("/review/" + entry.id + "/" + action, { method: "POST", json: body });
    flash(message);
    clear($("detail"), el("p", { class: "hint" }, message + " Chọn câu hỏi tiếp theo."));
    loadQueue();
  } catch (e) { flash(e.message, "error"); if (e.status === 409) openEntry(entry.id); }
}

async function openEntry(id) {
  const box = $("detail");
  clear(box, el("p", { class: "hint" }, "Đang tải…"));
  try {
    const entry = await api("/qa/" + id);
    selected = entry;
    const prev = previousSnapshot(entry);
    const actions = el("div", { class: "actions" });
    const panel = el("div", {});
    actions.append(
      el("button", { type: "button", class: "primary", onclick: () => act(entry, "approve", { version: entry.version }, "Đã duyệt câu hỏi.") }, "Duyệt"),
      el("button", { type: "button", class: "danger", onclick: () => { clear(panel, rejectForm(entry)); $("reject-reason").focus(); } }, "Từ chối…"),
      el("button", { type: "button", onclick: () => { clear(panel, editForm(entry)); $("ed-question").focus(); } }, "Sửa"));
    clear(box,
      el("h2", { tabindex: "-1", id: "detail-title" }, "Câu hỏi #" + entry.id),
      el("p", { class: "meta" }, statusBadge(entry.status, entry.status_label), " ", (entry.author_name || "") + " · " + (entry.court_name || "") +
        " · gửi ngày " + fmtDate(entry.submitted_at || entry.updated_at) + " · phiên bản " + entry.version),
      el("p", { class: "hint" }, prev ? "Thay đổi so với phiên bản " + prev.version + " (" + fmtDate(prev.created_at, true) + "): phần xóa gạch ngang, phần thêm tô xanh."
        : "Câu hỏi mới, chưa có phiên bản trước."),
      diffTable(entry, prev),
      entry.article_ids.length ? el("p", {}, entry.article_ids.map((a) => el("button", { type: "button", class: "link", onclick: () => showArticle(a) }, "Xem " + a + " "))) : null,
      actions, panel);
    $("detail-title").focus();
    loadQueue(id);
  } catch (e) { clear(box, el("p", { class: "error" }, e.message)); }
}

if (window.APP_READY) loadQueue();
