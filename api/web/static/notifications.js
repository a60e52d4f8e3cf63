/* Thông báo: the signed-in user's inbox, newest first, 20 at a time ("Xem thêm").
 * Opening a notification marks it read and goes where it points: the entry to rework
 * (Đóng góp), or the personal page (answers to my questions, my entries). */
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
let offset = 0;

/** Where a notification leads. */
function target(n) {
  if (n.kind === "question_answered") return "/cua-toi#tra-loi";
  if ((n.kind === "entry_rejected" || n.kind === "entry_edited") && n.entry_id) return "/dong-gop?sua=" + n.entry_id;
  return "/cua-toi";
}

function item(n) {
  const li = el("li", { class: n.read_at ? "read" : "unread", "data-notification-id": n.id });
  const markRead = async () => {
    if (n.read_at) return;
    const r = await api("/notifications/" + n.id + "/read", { method: "POST" });
    n.read_at = r.read_at; li.className = "read";
    li.querySelector(".mark")?.remove();
    refreshBell(); loadUnread();
  };
  li.append(
    el("div", { class: "row" },
      el("strong", {}, n.read_at ? "" : "● ", n.title),
      el("span", { class: "hint" }, fmtDate(n.created_at, true))),
    el("p", {}, n.message),
    el("div", { class: "actions tight" },
      el("a", { href: target(n), onclick: async (ev) => {
        ev.preventDefault();
        try { await markRead(); } catch (e) { /* still go */ }
        location.assign(target(n));
      } }, "Xem"),
      n.read_at ? null : el("button", { type: "button", class: "small mark", onclick: () => markRead().catch((e) => flash(e.message, "error")) }, "Đánh dấu đã đọc")));
  return li;
}

async function loadUnread() {
  const r = await api("/notifications?limit=1");
  $("inbox-unread").textContent = r.unread ? r.unread + " chưa đọc" : "đã đọc hết";
}

async function load(reset) {
  const ul = $("inbox");
  if (reset) { offset = 0; clear(ul); }
  try {
    const r = await api("/notifications?limit=" + PAGE + "&offset=" + offset + ($("only-unread").checked ? "&unread=true" : ""));
    $("inbox-unread").textContent = r.unread ? r.unread + " chưa đọc" : "đã đọc hết";
    if (!r.total) { clear(ul, el("li", { class: "hint" }, "Chưa có thông báo nào.")); $("more").hidden = true; return; }
    ul.append(...r.items.map(item));
    offset += r.items.length;
    $("more").hidden = offset >= r.total;
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

if (window.APP_READY) {
  $("more").addEventListener("click", () => load(false));
  $("only-unread").addEventListener("change", () => load(true));
  $("read-all").addEventListener("click", async () => {
    try {
      const r = await api("/notifications/read-all", { method: "POST" });
      flash(r.updated ? "Đã đánh dấu " + r.updated + " thông báo là đã đọc." : "Không còn thông báo chưa đọc.");
      refreshBell(); load(true);
    } catch (e) { flash(e.message, "error"); }
  });
  load(true);
}
