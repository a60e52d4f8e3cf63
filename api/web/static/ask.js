/* Hỏi đáp: one question → approved answers (with their cited articles) and the
 * relevant legal articles, each with "hữu ích / không hữu ích" feedback. */
"use strict";

const results = document.getElementById("results");
let lastEventId = null;
let lastQuestion = "";

function articleRef(a) {
  return (a.clause ? "Khoản " + a.clause + " " : "") + "Điều " + a.article_number + " " + a.law_short;
}

function feedbackBar(target) {
  const bar = el("div", { class: "feedback", role: "group", "aria-label": "Đánh giá kết quả" });
  const send = async (helpful) => {
    try {
      await api("/feedback", { method: "POST", json: { helpful, usage_event_id: lastEventId, ...target } });
      clear(bar, el("span", { class: "thanks" }, "Cảm ơn bạn đã đánh giá."));
    } catch (e) { flash(e.message, "error"); }
  };
  bar.append(
    el("button", { type: "button", class: "small", onclick: () => send(true) }, "Hữu ích"),
    el("button", { type: "button", class: "small", onclick: () => send(false) }, "Không hữu ích"));
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

function entryCard(e, known) {
  return el("article", { class: "card answer", "data-entry-id": e.entry_id },
    el("p", { class: "kicker" }, "Câu hỏi – trả lời đã duyệt · " + e.field),
    el("h3", {}, e.question),
    el("div", { class: "answer-text" }, e.answer),
    e.citation_text ? el("p", { class: "meta" }, "Căn cứ: " + e.citation_text) : null,
    e.article_ids.length ? el("div", {}, el("p", { class: "meta" }, "Điều luật được trích dẫn:"), citedArticles(e.article_ids, known)) : null,
    feedbackBar({ entry_id: e.entry_id }));
}

function articleCard(a) {
  const clause = clauseFor(a.text, a.highlight, lastQuestion);
  const snippet = clause || a.text.slice(0, 400) + (a.text.length > 400 ? "…" : "");
  return el("article", { class: "card article", "data-article-id": a.article_id },
    el("p", { class: "kicker" }, a.law_short),
    el("h3", {}, articleRef(a) + ". " + a.title),
    el("p", { class: "clause" }, clause ? el("mark", {}, snippet) : snippet),
    el("div", { class: "row" },
      el("button", { type: "button", onclick: () => showArticle(a.article_id, clause, lastQuestion) }, "Xem toàn văn điều luật"),
      feedbackBar({ article_id: a.article_id })));
}

async function ask(question) {
  results.setAttribute("aria-busy", "true");
  clear(results, el("p", { class: "hint" }, "Đang tìm…"));
  try {
    const r = await api("/ask", { method: "POST", json: { question } });
    lastEventId = r.usage_event_id;
    lastQuestion = question;
    const known = Object.fromEntries(r.articles.map((a) => [a.article_id, a]));
    const parts = [];
    if (!r.answered) {
      parts.push(el("div", { class: "notice", role: "alert" },
        el("strong", {}, "Chưa tìm thấy câu trả lời phù hợp. "),
        "Câu hỏi đã được chuyển tới nhóm biên tập; câu trả lời sẽ được bổ sung sau khi được duyệt."));
    }
    if (r.answer) {  // minimal adaptation to the answer/related shape; the askui branch redesigns this page
      parts.push(el("h2", {}, "Câu trả lời đã được duyệt"), entryCard(r.answer, known));
    }
    if (r.articles.length) {
      parts.push(el("h2", {}, r.answered ? "Điều luật liên quan" : "Điều luật có thể liên quan"), ...r.articles.map(articleCard));
    }
    clear(results, parts);
  } catch (e) {
    clear(results, el("p", { class: "error", role: "alert" }, e.message));
  } finally {
    results.setAttribute("aria-busy", "false");
  }
}

if (window.APP_READY) {
  const input = document.getElementById("question");
  document.getElementById("ask-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) { input.focus(); return; }
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    ask(q);
  });
  const q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; ask(q); } else input.focus();
}
