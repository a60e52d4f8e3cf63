/* Văn bản pháp luật (admin): upload a legal text, check the articles the parser read
 * (preview: each khoản and điểm on its own line), then confirm so it is indexed — or
 * discard it. Confirming runs on the server in the background; the page polls its
 * progress (a bar with the percentage) instead of waiting silently. A confirmed text
 * can be withdrawn (its articles leave the index). The same file twice is refused by
 * the server with a message naming the earlier upload. Talks to /api/v1/legal-documents. */
"use strict";

const $ = (id) => document.getElementById(id);
const DOC_STATUS = { preview: "Chờ xác nhận", indexing: "Đang lập chỉ mục", confirmed: "Đã xác nhận", failed: "Lỗi", withdrawn: "Đã rút lại" };
const MISSING = "Máy chủ này chưa hỗ trợ tải văn bản pháp luật (chưa có API /legal-documents).";

/** The article's lines: lead-in, then each khoản ("1.") and điểm ("a)") on its own line. */
function articleLines(a) {
  const lines = a.lines && a.lines.length ? a.lines : (a.text || "").split("\n").filter(Boolean).map((t) => ({ kind: "intro", label: "", text: t }));
  return el("ul", { class: "law-lines" }, lines.map((l) => el("li", { class: "line-" + l.kind },
    l.label ? el("span", { class: "label" }, l.label + " ") : null, l.text)));
}

function previewArticle(a) {
  const num = a.article_number || a.number || "";
  return el("li", {}, el("strong", {}, (num ? "Điều " + num + ". " : "") + (a.title || "")),
    a.law_short ? el("span", { class: "hint" }, " – " + a.law_short) : null,
    articleLines(a));
}

function progressBox(p) {
  const pct = p ? p.percent : 0;
  return el("div", { class: "progress-box", role: "status" },
    el("label", { for: "doc-progress" }, "Đang lập chỉ mục: " + pct + "%" + (p && p.total ? " (" + p.done + "/" + p.total + " phần)" : "")),
    el("progress", { id: "doc-progress", max: 100, value: pct }, pct + "%"));
}

function renderPreview(doc, progress) {
  const box = $("doc-preview");
  const actions = [];
  if (doc.status === "preview") {
    actions.push(el("button", { type: "button", class: "primary", onclick: () => confirmDoc(doc) }, "Xác nhận và lập chỉ mục"),
      el("button", { type: "button", class: "danger", onclick: () => discardDoc(doc) }, "Hủy văn bản này"));
  } else if (doc.status === "confirmed") {
    actions.push(el("button", { type: "button", class: "danger", onclick: () => withdrawDoc(doc) }, "Rút lại văn bản"));
  }
  clear(box, el("section", { class: "card", "data-doc-id": doc.id },
    el("h2", {}, "Xem trước: " + (doc.title || doc.filename)),
    el("p", { class: "meta" }, statusBadge(doc.status, DOC_STATUS[doc.status]), " " + doc.article_count + " điều · tệp " + doc.filename +
      (doc.effective_date ? " · hiệu lực từ " + fmtDate(doc.effective_date) : "")),
    doc.error ? el("p", { class: "error" }, doc.error) : null,
    doc.status === "indexing" ? progressBox(progress) : null,
    doc.preview.length ? el("ol", { class: "list" }, doc.preview.map(previewArticle)) : (doc.status === "preview" ? el("p", { class: "hint" }, "Không đọc được điều luật nào.") : null),
    el("div", { class: "actions" }, actions)));
}

let polling = 0;  // id of the document whose confirmation is being followed

async function follow(doc) {
  polling = doc.id;
  const wait = () => new Promise((r) => setTimeout(r, 500));
  while (polling === doc.id) {
    let p;
    try { p = await api("/legal-documents/" + doc.id + "/progress"); }
    catch (e) { flash(e.message, "error"); await wait(); continue; }
    if (p.status !== "indexing") {
      polling = 0;
      const out = await api("/legal-documents/" + doc.id);
      renderPreview(out);
      if (p.status === "confirmed") flash("Đã xác nhận văn bản “" + (out.title || out.filename) + "”: các điều luật đã được lập chỉ mục.");
      else flash(p.error || "Lập chỉ mục thất bại.", "error");
      loadList();
      return;
    }
    renderPreview({ ...doc, status: "indexing" }, p);
    await wait();
  }
}

async function confirmDoc(doc) {
  try {
    const out = await api("/legal-documents/" + doc.id + "/confirm", { method: "POST" });
    flash("");
    renderPreview({ ...doc, ...out, preview: doc.preview }, null);
    follow({ ...doc, ...out, preview: doc.preview });
  } catch (e) { flash(e.status === 404 ? MISSING : e.message, "error"); }
}

/** Asks in the page (the browser's confirm() has English buttons): yes runs `action`. */
function confirmInline(text, yesLabel, action) {
  const box = document.querySelector("#doc-preview .actions");
  const saved = [...box.childNodes];
  clear(box, el("p", { class: "notice", role: "alert" }, text),
    el("button", { type: "button", class: "danger", onclick: action }, yesLabel),
    el("button", { type: "button", onclick: () => clear(box, saved) }, "Không, quay lại"));
}

function discardDoc(doc) {
  confirmInline("Hủy văn bản “" + (doc.title || doc.filename) + "”? Văn bản chưa được lập chỉ mục sẽ bị xóa khỏi danh sách.",
    "Xác nhận hủy", () => doDiscard(doc));
}

async function doDiscard(doc) {
  try {
    await api("/legal-documents/" + doc.id, { method: "DELETE" });
    clear($("doc-preview"));
    flash("Đã hủy văn bản “" + (doc.title || doc.filename) + "”.");
    loadList();
  } catch (e) { flash(e.message, "error"); }
}

function withdrawDoc(doc) {
  confirmInline("Rút lại văn bản “" + (doc.title || doc.filename) + "”? Các điều luật của văn bản sẽ không còn được tìm thấy khi hỏi đáp.",
    "Xác nhận rút lại", () => doWithdraw(doc));
}

async function doWithdraw(doc) {
  try {
    const out = await api("/legal-documents/" + doc.id + "/withdraw", { method: "POST" });
    renderPreview({ ...out, preview: [] });
    flash("Đã rút lại văn bản “" + (out.title || out.filename) + "”; các điều luật đã được gỡ khỏi chỉ mục.");
    loadList();
  } catch (e) { flash(e.message, "error"); }
}

async function openDoc(d) {
  try {
    const out = await api("/legal-documents/" + d.id);
    renderPreview(out);
    if (out.status === "indexing") follow(out);
  } catch (e) { flash(e.message, "error"); }
}

async function loadList() {
  const box = $("doc-list");
  try {
    const docs = await api("/legal-documents");
    clear(box, docs.length ? el("ul", { class: "list" }, docs.map((d) => el("li", {},
      el("div", { class: "row" }, statusBadge(d.status, DOC_STATUS[d.status]), el("span", { class: "hint" }, fmtDate(d.created_at))),
      el("button", { type: "button", class: "link", onclick: () => openDoc(d) }, (d.title || d.filename) + " (" + d.article_count + " điều)"))))
      : el("p", { class: "hint" }, "Chưa có văn bản nào."));
  } catch (e) { clear(box, el("p", { class: "hint" }, e.status === 404 || e.status === 405 ? MISSING : e.message)); }
}

if (window.APP_READY) {
  $("doc-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("doc-error").textContent = "";
    const file = $("doc-file").files[0];
    if (!file) { $("doc-error").textContent = "Chọn một tệp."; return; }
    const form = new FormData();
    form.append("file", file);
    const date = $("doc-date").value.trim();
    if (date) {
      const iso = isoFromVn(date);
      if (!iso) { $("doc-error").textContent = "Ngày có hiệu lực phải có dạng dd/mm/yyyy."; return; }
      form.append("effective_date", iso);
    }
    try { renderPreview(await api("/legal-documents", { method: "POST", form })); loadList(); }
    catch (e) { $("doc-error").textContent = e.status === 404 || e.status === 405 ? MISSING : e.message; }
  });
  loadList();
}
