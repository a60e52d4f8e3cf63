/* Đóng góp: write a Q&A entry, or rework one of mine (a draft, or a rejected entry with
 * the reviewer's reason beside the form; `?sua=<id>`). While the question is typed,
 * similar existing entries are shown (debounced POST /qa/similar) so duplicates are
 * caught before review; articles can be attached through an autocomplete over the
 * indexed articles. "Lưu nháp" always saves a draft, also when answering a question
 * of the unanswered queue; "Gửi duyệt" sends it to review. */
"use strict";

const STATUS = { draft: "Bản nháp", pending: "Chờ duyệt", approved: "Đã duyệt", rejected: "Bị từ chối", retired: "Ngừng sử dụng" };
const $ = (id) => document.getElementById(id);
const attached = new Map(); // article_id → label
let unansweredId = null; // answering a question from the "chưa có lời giải đáp" queue
let editing = null; // the entry being reworked: { id, version, status, before }

function answerOpen(item) {
  unansweredId = item.id;
  $("qa-question").value = item.question;
  const note = $("qa-unanswered");
  clear(note, "Bạn đang trả lời câu hỏi chưa có lời giải đáp #" + item.id + " (" + item.times_asked + " lượt hỏi). ",
    el("button", { type: "button", class: "link", onclick: () => { unansweredId = null; note.hidden = true; } }, "Bỏ liên kết"));
  note.hidden = false;
  $("qa-answer").focus();
  checkSimilar();
}

async function loadOpen() {
  const box = $("open-questions");
  try {
    const r = await api("/unanswered?status=open&limit=20");
    clear(box, r.items.length ? el("ul", { class: "list" }, r.items.map((u) => el("li", { "data-unanswered-id": u.id },
      el("p", {}, u.question), el("div", { class: "row" },
        el("span", { class: "hint" }, u.times_asked + " lượt hỏi · " + fmtDate(u.created_at)),
        el("button", { type: "button", class: "small", onclick: () => answerOpen(u) }, "Soạn câu trả lời")))))
      : el("p", { class: "hint" }, "Không có câu hỏi nào đang chờ."));
  } catch (e) { clear(box, el("p", { class: "error" }, e.message)); }
}

async function checkSimilar() {
  const box = $("similar");
  const q = $("qa-question").value.trim();
  if (q.length < 8) { clear(box); return; }
  // the answer and citation, once written, tell a duplicate from a question that only reads alike
  const body = { question: q, limit: 5, answer: $("qa-answer").value.trim() || null,
    citation_text: $("qa-citation").value.trim() || null, article_ids: [...attached.keys()] };
  try {
    const hits = await api("/qa/similar", { method: "POST", json: body });
    if (!hits.length) { clear(box); return; }
    const item = (h) => el("li", {}, h.question, " ", statusBadge(h.status, STATUS[h.status]),
      el("span", { class: "hint" }, " (khớp " + Math.round(h.confidence * 100) + "%"
        + (h.reasons.length ? ": " + h.reasons.join("; ") : "") + ")"));
    const dup = hits.filter((h) => h.is_duplicate);
    const alike = hits.filter((h) => !h.is_duplicate);
    clear(box, [
      dup.length ? el("div", { class: "notice warn", role: "status" },
        el("strong", {}, "Có thể trùng với câu hỏi đã có:"), el("ul", {}, dup.map(item)),
        el("p", { class: "hint" }, "Hãy kiểm tra trước khi gửi để tránh trùng lặp.")) : null,
      alike.length ? el("div", { class: "notice", role: "status" },
        el("strong", {}, "Câu hỏi gần giống (có thể khác nội dung):"), el("ul", {}, alike.map(item))) : null,
    ].filter(Boolean));
  } catch (e) { clear(box); }
}

function renderChips() {
  clear($("qa-articles"), [...attached].map(([id, label]) =>
    el("li", { class: "chip" }, label,
      el("button", { type: "button", class: "link", "aria-label": "Bỏ " + label, onclick: () => { attached.delete(id); renderChips(); } }, "✕"))));
}

function setupArticleCombo() {
  const input = $("qa-article-search");
  const list = $("qa-article-list");
  let options = [];
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
  const choose = (a) => {
    attached.set(a.article_id, "Điều " + a.article_number + " " + a.law_short + " – " + a.title);
    renderChips(); input.value = ""; close(); input.focus();
  };
  const paint = () => {
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
    if (active >= 0) input.setAttribute("aria-activedescendant", "opt-" + active);
  };
  const load = debounce(async () => {
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    try { options = await api("/ui/articles?q=" + encodeURIComponent(q)); } catch (e) { options = []; }
    clear(list, options.map((a, i) => el("li", { role: "option", id: "opt-" + i, onmousedown: (ev) => { ev.preventDefault(); choose(a); } },
      el("strong", {}, "Điều " + a.article_number + " " + a.law_short), " – " + a.title)));
    if (!options.length) list.append(el("li", { class: "hint" }, "Không tìm thấy điều luật."));
    list.hidden = false; input.setAttribute("aria-expanded", "true"); active = -1;
  }, 300);
  input.addEventListener("input", load);
  input.addEventListener("keydown", (ev) => {
    if (list.hidden || !options.length) return;
    if (ev.key === "ArrowDown") { active = (active + 1) % options.length; paint(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { active = (active - 1 + options.length) % options.length; paint(); ev.preventDefault(); }
    else if (ev.key === "Enter" && active >= 0) { choose(options[active]); ev.preventDefault(); }
    else if (ev.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}

async function loadMine() {
  const box = $("mine");
  try {
    const r = await api("/qa?mine=true&limit=50");
    if (!r.items.length) { clear(box, el("p", { class: "hint" }, "Bạn chưa đóng góp câu hỏi nào.")); return; }
    clear(box, el("ul", { class: "list" }, r.items.map((e) => el("li", { "data-entry-id": e.id },
      el("div", { class: "row" }, statusBadge(e.status, e.status_label), el("span", { class: "hint" }, fmtDate(e.updated_at))),
      el("p", {}, e.question),
      e.reject_reason ? el("p", { class: "comment" }, "Ý kiến người duyệt: " + e.reject_reason) : null,
      ["draft", "rejected"].includes(e.status) ? el("div", { class: "actions tight" },
        el("button", { type: "button", class: "small", onclick: () => startEdit(e.id) }, "Sửa"),
        e.status === "draft" ? el("button", { type: "button", class: "small", onclick: () => resubmit(e) }, "Gửi duyệt") : null) : null))));
  } catch (e) { clear(box, el("p", { class: "error" }, e.message)); }
}

async function resubmit(e) {
  try {
    await api("/qa/" + e.id + "/submit", { method: "POST", json: { version: e.version } });
    flash("Đã gửi duyệt câu hỏi.");
  } catch (err) { flash(err.message, "error"); }
  loadMine();
}

/** The form's content as the API takes it. */
function formBody() {
  return {
    question: $("qa-question").value.trim(), answer: $("qa-answer").value.trim(),
    field: $("qa-field").value, citation_text: $("qa-citation").value.trim(),
    tags: $("qa-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    article_ids: [...attached.keys()],
  };
}
const sameContent = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Loads one of my entries into the form to rework it. */
async function startEdit(id) {
  try {
    const e = await api("/qa/" + id);
    if (!["draft", "rejected"].includes(e.status)) { flash("Chỉ sửa được bản nháp hoặc câu bị từ chối.", "error"); return; }
    $("qa-question").value = e.question; $("qa-answer").value = e.answer;
    $("qa-field").value = e.field; $("qa-tags").value = e.tags.join(", ");
    $("qa-citation").value = e.citation_text;
    attached.clear();
    for (const a of e.articles) if (a.source === "attached") attached.set(a.article_id, a.label);
    renderChips();
    unansweredId = null; $("qa-unanswered").hidden = true;
    editing = { id: e.id, version: e.version, status: e.status, before: formBody() };
    $("qa-form-title").textContent = "Sửa câu hỏi – trả lời #" + e.id + " (" + e.status_label.toLowerCase() + ")";
    const reason = e.reject_reason || e.reject_reason_last;
    const box = $("qa-reject");
    clear(box, reason ? [el("strong", {}, "Ý kiến người duyệt khi từ chối:"), el("p", {}, reason),
      el("p", { class: "hint" }, "Sửa theo ý kiến này rồi gửi duyệt lại. Nếu giữ nguyên nội dung, hãy ghi chú cho người duyệt lý do.")] : []);
    box.hidden = !reason;
    $("qa-note-wrap").hidden = !reason;
    $("qa-cancel").hidden = false;
    $("qa-form").scrollIntoView({ block: "start" });
    $("qa-question").focus();
  } catch (err) { flash(err.message, "error"); }
}

function endEdit() {
  editing = null;
  $("qa-form").reset(); attached.clear(); renderChips(); clear($("similar"));
  $("qa-form-title").textContent = "Soạn câu hỏi – trả lời";
  $("qa-reject").hidden = true; $("qa-note-wrap").hidden = true; $("qa-cancel").hidden = true;
  if (new URLSearchParams(location.search).has("sua")) history.replaceState(null, "", "/dong-gop");
}

/** Saves my rework: PATCH when something changed, then submit (with the note) if asked. */
async function saveEdit(body, submit) {
  let entry = null;
  const changed = !sameContent(body, editing.before);
  if (changed || !submit) {
    entry = await api("/qa/" + editing.id, { method: "PATCH", json: { ...body, version: editing.version } });
    editing.version = entry.version;
  }
  if (submit) {
    const note = $("qa-note").value.trim();
    entry = await api("/qa/" + editing.id + "/submit", { method: "POST", json: { version: editing.version, note: note || null } });
  }
  return entry;
}

async function save(submit) {
  const err = $("qa-error");
  err.textContent = "";
  const body = formBody();
  if (!body.question || !body.answer) { err.textContent = "Vui lòng nhập câu hỏi và câu trả lời."; return; }
  try {
    let saved;
    if (editing) {
      saved = await saveEdit(body, submit);
    } else if (unansweredId && submit) {
      saved = (await api("/unanswered/" + unansweredId + "/answer", { method: "POST", json: body })).entry;
    } else {
      // a draft answering a queued question stays linked to it; the question closes
      // when the answer is approved
      saved = await api("/qa", { method: "POST", json: { ...body, submit, source_unanswered_id: unansweredId } });
    }
    endEdit();
    unansweredId = null; $("qa-unanswered").hidden = true;
    const warnings = (saved && saved.warnings) || [];
    flash([submit ? "Đã gửi câu hỏi – trả lời để duyệt." : "Đã lưu bản nháp.", ...warnings].join(" "),
      warnings.length ? "warn" : "ok");
    loadMine(); loadOpen();
  } catch (e) { err.textContent = e.message; }
}

if (window.APP_READY) {
  $("qa-question").addEventListener("input", debounce(checkSimilar, 400));
  $("qa-answer").addEventListener("change", checkSimilar);
  $("qa-citation").addEventListener("change", checkSimilar);
  $("qa-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    save((ev.submitter && ev.submitter.dataset.submit) === "1");
  });
  setupArticleCombo();
  $("qa-cancel").addEventListener("click", () => { endEdit(); flash(""); });
  const editId = Number(new URLSearchParams(location.search).get("sua"));
  if (editId) startEdit(editId);
  loadMine();
  loadOpen().then(() => {
    const id = Number(new URLSearchParams(location.search).get("unanswered"));
    const btn = id && document.querySelector(`[data-unanswered-id="${id}"] button`);
    if (btn) btn.click();
  });
}
