/* Hỏi đáp: one question → at most one approved answer (who wrote and approved it, how
 * well it matches and why), then "Câu hỏi liên quan" (never presented as the answer),
 * then the legal articles. With no answer the closest entries stay visible, each with
 * "Đây đúng là câu tôi hỏi" (a labelled pair for the matcher; the ask counts as answered).
 *
 * Stale replies: only the latest question may fill the page. Each ask cancels the one
 * in flight (AbortController) and carries a sequence number checked on arrival, so a
 * slow reply to an earlier question never replaces a later one. The "Hỏi" button is
 * disabled while the question in the box is being answered. */
"use strict";

const results = document.getElementById("results");
let lastQuestion = "";
let seq = 0;            // number of the latest ask; a reply for an older one is dropped
let inFlight = null;    // { controller, question } of the pending ask

function articleRef(a) {
  return (a.clause ? "Khoản " + a.clause + " " : "") + "Điều " + a.article_number + " " + a.law_short;
}

/** "Hữu ích" sends at once; "Không hữu ích" first asks why (the reviewer and the author
 *  read the reason), then sends with or without one. */
function feedbackBar(target, eventId) {
  const bar = el("div", { class: "feedback", role: "group", "aria-label": "Đánh giá kết quả" });
  const send = async (helpful, comment = null) => {
    try {
      await api("/feedback", { method: "POST", json: { helpful, comment, usage_event_id: eventId, ...target } });
      clear(bar, el("span", { class: "thanks" }, "Cảm ơn bạn đã đánh giá."));
    } catch (e) { flash(e.message, "error"); }
  };
  const askWhy = () => {
    const id = "why-" + Math.random().toString(36).slice(2, 8);
    const box = el("textarea", { id, rows: 2, maxlength: 2000, placeholder: "ví dụ: căn cứ đã hết hiệu lực, trả lời chưa đúng câu hỏi…" });
    const form = el("form", { class: "why" },
      el("label", { for: id }, "Vì sao chưa hữu ích?"), box,
      el("div", { class: "actions tight" }, el("button", { type: "submit", class: "small primary" }, "Gửi đánh giá"),
        el("button", { type: "button", class: "small", onclick: () => clear(bar, ...buttons()) }, "Hủy")));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); send(false, box.value.trim() || null); });
    clear(bar, form);
    box.focus();
  };
  const buttons = () => [
    el("button", { type: "button", class: "small", onclick: () => send(true) }, "Hữu ích"),
    el("button", { type: "button", class: "small", onclick: askWhy }, "Không hữu ích")];
  bar.append(...buttons());
  return bar;
}

/** The articles an approved answer cites, looked up for their law and number. */
function citedArticles(ids, known) {
  const list = el("ul", { class: "cited" });
  for (const id of ids) {
    const li = el("li", {});
    const btn = el("button", { type: "button", class: "link", onclick: () => showArticle(id, known[id]?.highlight || "", lastQuestion) }, id);
    li.append(btn);
    list.append(li);
    const fill = (a) => { btn.textContent = articleRef(a) + " – " + a.title; };
    if (known[id]) fill(known[id]);
    else api("/ui/articles/" + encodeURIComponent(id)).then(fill).catch(() => {});
  }
  return list;
}

/** Who wrote, at which court, who approved and when: what a judge weighs before relying on it. */
function provenance(e) {
  const parts = [];
  if (e.author_name) parts.push("Người soạn: " + e.author_name + (e.court_name ? " (" + e.court_name + ")" : ""));
  if (e.reviewer_name) parts.push("Người duyệt: " + e.reviewer_name);
  if (e.approved_at) parts.push("Ngày duyệt: " + fmtDate(e.approved_at));
  return parts.length ? el("p", { class: "meta provenance" }, parts.join(" · ")) : null;
}

/** "Mức độ khớp: khớp cao" and, on demand, the reasons. */
function confidence(e) {
  const id = "reasons-" + e.entry_id + "-" + seq;
  const reasons = el("ul", { class: "reasons", id, hidden: true }, ...(e.reasons || []).map((r) => el("li", {}, r)));
  const toggle = (e.reasons || []).length ? el("button", {
    type: "button", class: "link why", "aria-expanded": "false", "aria-controls": id,
    onclick: (ev) => {
      reasons.hidden = !reasons.hidden;
      ev.currentTarget.setAttribute("aria-expanded", String(!reasons.hidden));
      ev.currentTarget.textContent = reasons.hidden ? "Vì sao?" : "Ẩn lý do";
    },
  }, "Vì sao?") : null;
  return el("div", { class: "confidence" },
    el("p", { class: "meta" }, "Mức độ khớp: ", el("strong", { class: "level" }, e.confidence_label), " ", toggle),
    reasons);
}

function answerCard(e, known, eventId) {
  return el("article", { class: "card answer", "data-entry-id": e.entry_id },
    el("p", { class: "kicker" }, "Câu trả lời đã được duyệt · " + e.field),
    el("h3", {}, e.question),
    el("div", { class: "answer-text" }, e.answer),
    e.citation_text ? el("p", { class: "meta" }, "Căn cứ: " + e.citation_text) : null,
    e.article_ids.length ? el("div", {}, el("p", { class: "meta" }, "Điều luật được trích dẫn:"), citedArticles(e.article_ids, known)) : null,
    provenance(e),
    confidence(e),
    feedbackBar({ entry_id: e.entry_id }, eventId));
}

/** "Đây đúng là câu tôi hỏi": records the pair, the ask counts as answered. */
function confirmButton(e, eventId) {
  const box = el("div", { class: "confirm" });
  const btn = el("button", { type: "button", class: "small", onclick: async () => {
    btn.disabled = true;
    try {
      await api("/ask/" + eventId + "/confirm", { method: "POST", json: { entry_id: e.entry_id } });
      clear(box, el("span", { class: "thanks" }, "Đã ghi nhận: câu này trả lời đúng câu bạn hỏi. Cảm ơn bạn."));
    } catch (err) { btn.disabled = false; flash(err.message, "error"); }
  } }, "Đây đúng là câu tôi hỏi");
  box.append(btn);
  return box;
}

/** A related question: its label says how it relates; its answer opens on demand. */
function relatedCard(e, known, eventId, canConfirm) {
  return el("article", { class: "card related", "data-entry-id": e.entry_id },
    el("p", { class: "kicker" }, e.confidence_label + " · " + e.field),
    el("h3", {}, e.question),
    el("details", {},
      el("summary", {}, "Xem câu trả lời của câu hỏi này"),
      el("div", { class: "answer-text" }, e.answer),
      e.citation_text ? el("p", { class: "meta" }, "Căn cứ: " + e.citation_text) : null,
      e.article_ids.length ? citedArticles(e.article_ids, known) : null,
      provenance(e)),
    confidence(e),
    canConfirm ? confirmButton(e, eventId) : null);
}

function articleCard(a, eventId) {
  const clause = clauseFor(a.text, a.highlight, lastQuestion);
  const snippet = clause || a.text.slice(0, 400) + (a.text.length > 400 ? "…" : "");
  return el("article", { class: "card article", "data-article-id": a.article_id },
    el("p", { class: "kicker" }, a.law_short),
    el("h3", {}, articleRef(a) + ". " + a.title),
    el("p", { class: "clause" }, clause ? el("mark", {}, snippet) : snippet),
    el("div", { class: "row" },
      el("button", { type: "button", onclick: () => showArticle(a.article_id, clause, lastQuestion) }, "Xem toàn văn điều luật"),
      feedbackBar({ article_id: a.article_id }, eventId)));
}

function render(r, question) {
  lastQuestion = question;
  const eventId = r.usage_event_id;
  const known = Object.fromEntries(r.articles.map((a) => [a.article_id, a]));
  const parts = [];
  if (r.answer) {
    parts.push(el("h2", {}, "Câu trả lời"), answerCard(r.answer, known, eventId));
  } else {
    parts.push(el("div", { class: "notice", role: "alert" },
      el("strong", {}, "Chưa có câu trả lời đã duyệt cho câu hỏi này. "),
      r.unanswered_id
        ? "Câu hỏi đã được chuyển tới nhóm biên tập; câu trả lời sẽ được bổ sung sau khi được duyệt."
        : "Điều luật bạn trích dẫn ở ngay bên dưới."));
  }
  if (r.related.length) {
    parts.push(el("h2", {}, "Câu hỏi liên quan"));
    if (!r.answer) {
      parts.push(el("p", { class: "hint" }, "Đây là các câu đã duyệt gần nhất với câu bạn hỏi, chưa chắc trả lời đúng câu hỏi. " +
        "Nếu một câu đúng là điều bạn hỏi, hãy bấm “Đây đúng là câu tôi hỏi”."));
    }
    parts.push(...r.related.map((e) => relatedCard(e, known, eventId, !r.answer)));
  }
  if (r.articles.length) {
    parts.push(el("h2", {}, "Điều luật liên quan"), ...r.articles.map((a) => articleCard(a, eventId)));
  }
  clear(results, parts);
  results.dataset.question = question;
}

const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const button = form ? form.querySelector("button[type=submit]") : null;

/** The button waits only while the question in the box is the one being answered. */
function syncButton() {
  if (button) button.disabled = !!inFlight && input.value.trim() === inFlight.question;
}

async function ask(question) {
  const mine = ++seq;
  if (inFlight) inFlight.controller.abort();  // the earlier question's reply is no longer wanted
  const controller = new AbortController();
  inFlight = { controller, question };
  syncButton();
  results.setAttribute("aria-busy", "true");
  clear(results, el("p", { class: "hint" }, "Đang tìm…"));
  try {
    const r = await api("/ask", { method: "POST", json: { question }, signal: controller.signal });
    if (mine !== seq) return;  // a later question has been asked meanwhile
    render(r, question);
  } catch (e) {
    if (mine !== seq || e.name === "AbortError") return;
    clear(results, el("p", { class: "error", role: "alert" }, e.message));
  } finally {
    if (mine === seq) {
      inFlight = null;
      results.setAttribute("aria-busy", "false");
      syncButton();
    }
  }
}

if (window.APP_READY) {
  input.addEventListener("input", syncButton);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) { input.focus(); return; }
    if (inFlight && inFlight.question === q) return;  // already being answered
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    ask(q);
  });
  // a link may fill the box but never asks by itself: asking records a usage event (and
  // maybe an unanswered item) in the judge's name, so only the judge's own submit does
  const q = new URLSearchParams(location.search).get("q");
  if (q) input.value = q;
  input.focus();
}
