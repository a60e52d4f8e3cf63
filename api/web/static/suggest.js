/* Hỏi đáp: while the judge types, approved questions that contain the typed words
 * (GET /api/v1/library/suggest — lexical, cheap, not recorded as an ask). Debounced
 * (one request once typing pauses) and cancelable: each new request aborts the one in
 * flight (AbortController) and a reply for older text is dropped. A suggestion is a
 * link to the entry's own page; asking the question hides the list. */
"use strict";

(function suggestions() {
  const input = document.getElementById("question");
  const box = document.getElementById("suggest-box");
  const form = document.getElementById("ask-form");
  if (!input || !box || !window.APP_READY) return;
  const list = box.querySelector("ul");
  let controller = null;
  let latest = "";
  let timer = 0;

  function hide() {
    clearTimeout(timer);
    if (controller) { controller.abort(); controller = null; }
    latest = "";
    box.hidden = true;
    clear(list);
  }

  async function fetchFor(text) {
    if (controller) controller.abort();  // the earlier text's reply is no longer wanted
    controller = new AbortController();
    latest = text;
    try {
      const found = await api("/library/suggest?limit=5&q=" + encodeURIComponent(text), { signal: controller.signal });
      if (text !== latest) return;
      clear(list, found.map((s) => el("li", {}, el("a", { href: s.url }, s.question), el("span", { class: "hint" }, " · " + s.field))));
      box.hidden = found.length === 0;
    } catch (e) {
      if (e.name !== "AbortError" && text === latest) box.hidden = true;  // suggestions are optional
    }
  }

  input.addEventListener("input", () => {
    const text = input.value.trim();
    clearTimeout(timer);
    if (text.length < 3) { hide(); return; }
    timer = setTimeout(() => fetchFor(text), 250);  // once typing pauses
  });
  input.addEventListener("keydown", (ev) => { if (ev.key === "Escape") hide(); });
  form.addEventListener("submit", hide);
})();
