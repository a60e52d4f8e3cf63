/* Văn bản pháp luật (admin): upload a legal text, check the articles the parser read
 * (preview), then confirm so it is indexed. Talks to /api/v1/legal-documents; when the
 * server has no such route yet, says so instead of failing silently. */
"use strict";

const $ = (id) => document.getElementById(id);
const DOC_STATUS = { preview: "Chờ xác nhận", confirmed: "Đã xác nhận", failed: "Lỗi" };
const MISSING = "Máy chủ này chưa hỗ trợ tải văn bản pháp luật (chưa có API /legal-documents).";

function previewArticle(a) {
  const num = a.article_number || a.number || "";
  const text = a.text || a.content || "";
  return el("li", {}, el("strong", {}, (num ? "Điều " + num + ". " : "") + (a.title || "")),
    a.law_short ? el("span", { class: "hint" }, " – " + a.law_short) : null,
    text ? el("p", { class: "clause" }, text.length > 300 ? text.slice(0, 300) + "…" : text) : null);
}

function renderPreview(doc) {
  const box = $("doc-preview");
  const confirmBtn = doc.status === "preview"
    ? el("button", { type: "button", class: "primary", onclick: () => confirmDoc(doc) }, "Xác nhận và lập chỉ mục") : null;
  clear(box, el("section", { class: "card" },
    el("h2", {}, "Xem trước: " + (doc.title || doc.filename)),
    el("p", { class: "meta" }, statusBadge(doc.status, DOC_STATUS[doc.status]), " " + doc.article_count + " điều · tệp " + doc.filename +
      (doc.effective_date ? " · hiệu lực từ " + fmtDate(doc.effective_date) : "")),
    doc.error ? el("p", { class: "error" }, doc.error) : null,
    doc.preview.length ? el("ol", { class: "list" }, doc.preview.map(previewArticle)) : el("p", { class: "hint" }, "Không đọc được điều luật nào."),
    el("div", { class: "actions" }, confirmBtn)));
}

async function confirmDoc(doc) {
  try {
    const out = await api("/legal-documents/" + doc.id + "/confirm", { method: "POST" });
    flash("Đã xác nhận văn bản “" + (out.title || out.filename) + "”.");
    renderPreview(out);
    loadList();
  } catch (e) { flash(e.status === 404 ? MISSING : e.message, "error"); }
}

async function loadList() {
  const box = $("doc-list");
  try {
    const docs = await api("/legal-documents");
    clear(box, docs.length ? el("ul", { class: "list" }, docs.map((d) => el("li", {},
      el("div", { class: "row" }, statusBadge(d.status, DOC_STATUS[d.status]), el("span", { class: "hint" }, fmtDate(d.created_at))),
      el("button", { type: "button", class: "link", onclick: () => renderPreview(d) }, (d.title || d.filename) + " (" + d.article_count + " điều)"))))
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
