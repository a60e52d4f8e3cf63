/* Duyệt: the pending queue; for the selected entry its changes against the previous
 * revision, warnings (a civil entry citing a criminal article), the cited articles by
 * name, the author's note, the judges' feedback, the full revision timeline (a diff per
 * revision) and approve / reject (with a reason) / edit — question, answer, lĩnh vực,
 * tags, citation text and articles. Articles attached by hand stay attached when the
 * citation text changes. The entry's version is sent with every action so that two
 * reviewers never overwrite each other (409). */
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS_DIFFED = [["question", "Câu hỏi"], ["answer", "Trả lời"], ["field", "Lĩnh vực"],
  ["citation_text", "Căn cứ pháp lý"], ["tags", "Thẻ"], ["article_ids", "Điều luật"]];
const ACTIONS = { create: "Tạo", edit: "Người soạn sửa", review_edit: "Người duyệt sửa", submit: "Gửi duyệt",
  withdraw: "Rút lại", approve: "Duyệt", reject: "Từ chối", retire: "Ngừng sử dụng", import: "Nhập từ tệp" };
let labels = {}; // article id → "Điều 273 BLTTDS 2015 – Thời hạn kháng cáo"
const asText = (v, k) => (k === "article_ids" ? (v || []).map((id) => labels[id] || id).join("; ")
  : Array.isArray(v) ? v.join(", ") : v || "");
const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);
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

/** Approved entries judged "không hữu ích", most recent first, with how many times. */
async function loadUnhelpful() {
  const ul = $("unhelpful");
  try {
    const items = await api("/feedback?helpful=false&limit=500");
    const byEntry = new Map();
    for (const f of items) {
      if (!f.entry_id) continue;
      const seen = byEntry.get(f.entry_id) || { question: f.entry_question, n: 0, last: f.created_at };
      seen.n += 1; byEntry.set(f.entry_id, seen);
    }
    clear(ul, byEntry.size ? [...byEntry].slice(0, 20).map(([id, e]) => el("li", {},
      el("button", { type: "button", class: "item", "data-entry-id": id, onclick: () => openEntry(id) },
        el("span", { class: "q" }, e.question || "Câu hỏi #" + id),
        el("span", { class: "hint" }, e.n + " lượt không hữu ích · gần nhất " + fmtDate(e.last)))))
      : el("li", { class: "hint" }, "Chưa có câu trả lời nào bị đánh giá không hữu ích."));
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

/** The latest earlier revision whose content differs from the entry as it is now. */
function previousSnapshot(entry) {
  const revs = [...entry.revisions].sort((x, y) => y.version - x.version);
  return revs.find((r) => FIELDS_DIFFED.some(([k]) => asText(r.snapshot[k], k) !== asText(entry[k], k))) || null;
}

function diffTable(after, before) {
  return el("dl", { class: "diff" }, FIELDS_DIFFED.flatMap(([k, label]) => {
    const now = asText(after[k], k);
    const then = before ? asText(before[k], k) : now;
    return [el("dt", {}, label), el("dd", { class: k === "answer" ? "answer-text" : "" }, then === now ? now || "—" : wordDiff(then, now))];
  }));
}

/** Every revision, oldest first, each with what it changed against the one before. */
function timeline(entry) {
  const revs = [...entry.revisions].sort((x, y) => x.version - y.version || 0);
  return el("ol", { class: "timeline", id: "timeline" }, revs.map((r, i) => {
    const prev = i > 0 ? revs[i - 1].snapshot : null;
    const changed = prev ? FIELDS_DIFFED.filter(([k]) => asText(prev[k], k) !== asText(r.snapshot[k], k)) : [];
    const said = r.action === "reject" || r.action === "retire" ? r.snapshot.reject_reason : r.snapshot.note;
    return el("li", { "data-version": r.version },
      el("p", {}, el("strong", {}, ACTIONS[r.action] || r.action), " · ", r.user_name || "—", " · ", fmtDate(r.created_at, true),
        el("span", { class: "hint" }, " · phiên bản " + r.version)),
      said ? el("p", { class: "comment" }, (r.action === "reject" ? "Lý do: " : r.action === "retire" ? "Lý do: " : "Ghi chú: ") + said) : null,
      !prev ? el("p", { class: "hint" }, "Nội dung ban đầu.")
        : changed.length ? el("details", { open: i === revs.length - 1 || undefined },
          el("summary", {}, "Thay đổi: " + changed.map(([, l]) => l.toLowerCase()).join(", ")),
          el("dl", { class: "diff" }, changed.flatMap(([k, label]) => [el("dt", {}, label),
            el("dd", { class: k === "answer" ? "answer-text" : "" }, wordDiff(asText(prev[k], k), asText(r.snapshot[k], k)))])))
          : null);
  }));
}

async function feedbackBox(entry) {
  const box = el("section", { class: "feedback-box", id: "entry-feedback", "aria-label": "Đánh giá của người dùng" },
    el("h3", {}, "Đánh giá của người dùng"), el("p", { class: "hint" }, "Đang tải…"));
  api("/feedback?entry_id=" + entry.id + "&limit=200").then((items) => {
    const bad = items.filter((f) => !f.helpful);
    clear(box, el("h3", {}, "Đánh giá của người dùng"),
      el("p", { id: "feedback-counts" }, (items.length - bad.length) + " hữu ích · " + bad.length + " không hữu ích"),
      bad.length ? el("ul", { class: "list" }, bad.map((f) => el("li", {},
        el("p", { class: "hint" }, (f.user_name || "Người dùng") + " · " + fmtDate(f.created_at, true)),
        el("p", { class: "comment" }, f.comment || "(không ghi lý do)")))) : null);
  }).catch((e) => clear(box, el("h3", {}, "Đánh giá của người dùng"), el("p", { class: "error" }, e.message)));
  return box;
}

/** A citation combobox (↑ ↓ Enter Esc) over the indexed articles. */
function articleSearch(onChoose) {
  const input = el("input", { id: "ed-article-search", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": "ed-article-list", autocomplete: "off", placeholder: "ví dụ: thoi han khang cao" });
  const list = el("ul", { id: "ed-article-list", role: "listbox", class: "listbox", hidden: true });
  let options = [], active = -1;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
  const choose = (a) => { onChoose(a); input.value = ""; close(); input.focus(); };
  const paint = () => [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
  input.addEventListener("input", debounce(async () => {
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    try { options = await api("/ui/articles?q=" + encodeURIComponent(q)); } catch (e) { options = []; }
    clear(list, options.map((a, i) => el("li", { role: "option", id: "ed-opt-" + i, onmousedown: (ev) => { ev.preventDefault(); choose(a); } },
      el("strong", {}, "Điều " + a.article_number + " " + a.law_short), " – " + a.title)));
    if (!options.length) list.append(el("li", { class: "hint" }, "Không tìm thấy điều luật."));
    list.hidden = false; input.setAttribute("aria-expanded", "true"); active = -1;
  }, 300));
  input.addEventListener("keydown", (ev) => {
    if (list.hidden || !options.length) return;
    if (ev.key === "ArrowDown") { active = (active + 1) % options.length; paint(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = (active - 1 + options.length) % options.length; paint(); ev.preventDefault(); }
    else if (ev.key === "Enter" && active >= 0) { choose(options[active]); ev.preventDefault(); }
    else if (ev.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  return el("div", { class: "combo" }, input, list);
}

function editForm(entry) {
  const fields = $("detail").dataset.fields.split("|");
  // hand-attached articles are sent back as they stand; those of the citation text are
  // recomputed from the text by the API
  const attached = new Map(entry.articles.filter((a) => a.source === "attached").map((a) => [a.article_id, a.label]));
  const fromText = entry.articles.filter((a) => a.source === "citation");
  const chips = el("ul", { class: "chips", id: "ed-articles", "aria-label": "Điều luật đã gắn" });
  const paintChips = () => clear(chips,
    fromText.map((a) => el("li", { class: "chip cited-chip" }, a.label, el("span", { class: "hint" }, "(theo căn cứ pháp lý)"))),
    [...attached].map(([id, label]) => el("li", { class: "chip" }, label,
      el("button", { type: "button", class: "link", "aria-label": "Bỏ " + label, onclick: () => { attached.delete(id); paintChips(); } }, "✕"))));
  paintChips();
  const fieldSelect = el("select", { id: "ed-field" }, fields.map((f) => el("option", { value: f, selected: f === entry.field || undefined }, capitalize(f))));
  const f = el("form", { class: "edit" },
    el("label", { for: "ed-question" }, "Câu hỏi"), el("textarea", { id: "ed-question", rows: 3 }, entry.question),
    el("label", { for: "ed-answer" }, "Trả lời"), el("textarea", { id: "ed-answer", rows: 8 }, entry.answer),
    el("label", { for: "ed-field" }, "Lĩnh vực"), fieldSelect,
    el("label", { for: "ed-tags" }, "Thẻ ", el("span", { class: "hint" }, "(cách nhau bằng dấu phẩy)")),
    el("input", { id: "ed-tags", value: entry.tags.join(", "), maxlength: 400 }),
    el("label", { for: "ed-citation" }, "Căn cứ pháp lý"), el("input", { id: "ed-citation", value: entry.citation_text, maxlength: 2000 }),
    el("label", { for: "ed-article-search" }, "Gắn thêm điều luật"),
    articleSearch((a) => { attached.set(a.article_id, "Điều " + a.article_number + " " + a.law_short + " – " + a.title); paintChips(); }),
    chips,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Lưu thay đổi"),
      el("button", { type: "button", onclick: () => openEntry(entry.id) }, "Hủy")));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const saved = await api("/review/" + entry.id, { method: "PATCH", json: {
        question: $("ed-question").value.trim(), answer: $("ed-answer").value.trim(),
        field: $("ed-field").value, tags: $("ed-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
        citation_text: $("ed-citation").value.trim(), article_ids: [...attached.keys()], version: entry.version } });
      flash(["Đã lưu thay đổi.", ...(saved.warnings || [])].join(" "), saved.warnings && saved.warnings.length ? "warn" : "ok");
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
    loadQueue(); loadUnhelpful();
  } catch (e) { flash(e.message, "error"); if (e.status === 409) openEntry(entry.id); }
}

function articleList(entry) {
  if (!entry.articles.length) return el("p", { class: "hint" }, "Chưa gắn điều luật nào.");
  return el("ul", { class: "cited", id: "detail-articles" }, entry.articles.map((a) => el("li", {},
    a.found ? el("button", { type: "button", class: "link", onclick: () => showArticle(a.article_id) }, a.label) : a.label,
    el("span", { class: "hint" }, a.source === "attached" ? " (gắn tay)" : " (theo căn cứ pháp lý)"))));
}

async function openEntry(id) {
  const box = $("detail");
  clear(box, el("p", { class: "hint" }, "Đang tải…"));
  try {
    const entry = await api("/qa/" + id);
    selected = entry;
    labels = entry.article_labels || {};
    const prev = previousSnapshot(entry);
    const lastSubmit = [...entry.revisions].reverse().find((r) => r.action === "submit");
    const actions = el("div", { class: "actions" });
    const panel = el("div", {});
    if (entry.status === "approved") actions.append(
      el("button", { type: "button", class: "danger", onclick: () => act(entry, "retire", { version: entry.version }, "Đã ngừng sử dụng câu hỏi.") }, "Ngừng sử dụng"));
    if (entry.status === "pending") actions.append(
      el("button", { type: "button", class: "primary", onclick: () => act(entry, "approve", { version: entry.version }, "Đã duyệt câu hỏi.") }, "Duyệt"),
      el("button", { type: "button", class: "danger", onclick: () => { clear(panel, rejectForm(entry)); $("reject-reason").focus(); } }, "Từ chối…"));
    actions.append(el("button", { type: "button", onclick: () => { clear(panel, editForm(entry)); $("ed-question").focus(); } }, "Sửa"));
    clear(box,
      el("h2", { tabindex: "-1", id: "detail-title" }, "Câu hỏi #" + entry.id),
      el("p", { class: "meta" }, statusBadge(entry.status, entry.status_label), " ", (entry.author_name || "") + " · " + (entry.court_name || "") +
        " · gửi ngày " + fmtDate(entry.submitted_at || entry.updated_at) + " · phiên bản " + entry.version + " · lĩnh vực " + entry.field +
        (entry.tags.length ? " · thẻ: " + entry.tags.join(", ") : "")),
      entry.flags.length ? el("div", { class: "notice flags", id: "detail-flags", role: "note" }, el("strong", {}, "Cần kiểm tra:"),
        el("ul", {}, entry.flags.map((f) => el("li", {}, f)))) : null,
      lastSubmit && lastSubmit.snapshot.note ? el("p", { class: "comment note" }, "Ghi chú của người soạn: " + lastSubmit.snapshot.note) : null,
      el("p", { class: "hint" }, prev ? "Thay đổi so với phiên bản " + prev.version + " (" + fmtDate(prev.created_at, true) + "): phần xóa gạch ngang, phần thêm tô xanh."
        : "Câu hỏi mới, chưa có phiên bản trước."),
      diffTable(entry, prev ? prev.snapshot : null),
      el("h3", {}, "Điều luật được trích dẫn"), articleList(entry),
      actions, panel,
      await feedbackBox(entry),
      el("h3", {}, "Lịch sử sửa đổi"), timeline(entry));
    $("detail-title").focus();
    loadQueue(id);
  } catch (e) { clear(box, el("p", { class: "error" }, e.message)); }
}

if (window.APP_READY) { loadQueue(); loadUnhelpful(); }
