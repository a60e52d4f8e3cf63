/* One approved entry on its own page (/thu-vien/{id}): question, answer, lĩnh vực, tags
 * (each a link to the library filtered by it), cited articles, who wrote and approved
 * it, and its link to copy. The page needs a signed-in reader (app.js sends others to
 * the login page and back here). */
"use strict";

function copyLink(btn) {
  const url = location.origin + location.pathname;
  const done = () => { btn.textContent = "Đã sao chép đường dẫn"; };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).then(done, () => {});
  else { const t = el("input", { value: url }); document.body.append(t); t.select(); document.execCommand("copy"); t.remove(); done(); }
}

async function loadEntry() {
  const box = document.getElementById("entry");
  const id = location.pathname.split("/").filter(Boolean).pop();
  try {
    const e = await api("/library/" + encodeURIComponent(id));
    document.title = e.question.slice(0, 80) + " – Thư viện – Trợ lý ảo Tòa án";
    const cited = el("ul", { class: "cited" }, e.article_ids.map((aid) => {
      const btn = el("button", { type: "button", class: "link", onclick: () => showArticle(aid, "", e.question) }, aid);
      api("/ui/articles/" + encodeURIComponent(aid)).then((a) => {
        btn.textContent = "Điều " + a.article_number + " " + a.law_short + " – " + a.title;
      }).catch(() => {});
      return el("li", {}, btn);
    }));
    const who = [e.author_name ? "Người soạn: " + e.author_name + (e.court_name ? " (" + e.court_name + ")" : "") : "",
      e.reviewer_name ? "Người duyệt: " + e.reviewer_name : "", e.approved_at ? "Ngày duyệt: " + fmtDate(e.approved_at) : ""].filter(Boolean);
    const btn = el("button", { type: "button", class: "small", onclick: (ev) => copyLink(ev.currentTarget) }, "Sao chép đường dẫn");
    clear(box,
      el("p", { class: "kicker" }, "Câu trả lời đã được duyệt · ",
        el("a", { href: "/thu-vien?field=" + encodeURIComponent(e.field) }, e.field)),
      el("h2", {}, e.question),
      el("div", { class: "answer-text" }, e.answer),
      e.citation_text ? el("p", { class: "meta" }, "Căn cứ: " + e.citation_text) : null,
      e.article_ids.length ? el("div", {}, el("p", { class: "meta" }, "Điều luật được trích dẫn:"), cited) : null,
      e.tags.length ? el("ul", { class: "chips", "aria-label": "Thẻ" }, e.tags.map((t) =>
        el("li", {}, el("a", { class: "chip", href: "/thu-vien?tag=" + encodeURIComponent(t) }, t)))) : null,
      who.length ? el("p", { class: "meta provenance" }, who.join(" · ")) : null,
      el("div", { class: "row" }, el("a", { href: e.url, class: "meta permalink" }, location.origin + e.url), btn));
  } catch (err) {
    clear(box, el("p", { class: "error", role: "alert" }, err.status === 404 || err.status === 422
      ? "Không tìm thấy câu hỏi – trả lời này, hoặc câu này chưa được duyệt / đã ngừng sử dụng." : err.message));
  }
}

if (window.APP_READY) loadEntry();
