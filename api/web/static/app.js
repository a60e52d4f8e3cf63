/* Shared helpers for every page: the signed-in user, calls to /api/v1, safe DOM
 * building, dates as dd/mm/yyyy, the article dialog and authenticated downloads.
 * Why no framework: six small pages, offline courts, nothing to build or vendor. */
"use strict";

const TOKEN_KEY = "troly.token";
const USER_KEY = "troly.user";
const ROLE_LABELS = {
  judge: "Thẩm phán", reviewer: "Người duyệt", court_admin: "Quản trị Tòa án",
  admin: "Quản trị hệ thống",
};

const auth = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  user: () => JSON.parse(sessionStorage.getItem(USER_KEY) || "null"),
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(USER_KEY); },
};

function toLogin() {
  auth.clear();
  const next = location.pathname + location.search;
  location.replace("/dang-nhap?next=" + encodeURIComponent(next));
}

const NETWORK_ERROR = "Không kết nối được máy chủ. Kiểm tra mạng (hoặc máy chủ đã bật chưa) rồi thử lại.";

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** Trades the HttpOnly session cookie for a new access token (short-lived tokens run
 *  out during a working day; a new tab starts without one). True when signed in again. */
let renewing = null;
function renewSession() {
  renewing = renewing || fetch("/api/v1/auth/refresh", { method: "POST" })
    .then(async (res) => {
      if (!res.ok) return false;
      const data = await res.json();
      auth.save(data.access_token, data.user);
      return true;
    })
    .catch(() => false)
    .finally(() => { setTimeout(() => { renewing = null; }, 0); });
  return renewing;
}

/** Calls the JSON API; `json` or `form` become the body. Returns parsed JSON, or the
 *  Response itself when `raw` is set (downloads). 401 → the session is renewed once,
 *  else back to the login page. `signal` (an AbortController's) cancels the request: the
 *  promise rejects with AbortError. */
async function api(path, { method = "GET", json, form, raw = false, signal } = {}, retried = false) {
  const headers = {};
  const token = auth.token();
  if (token) headers.Authorization = "Bearer " + token;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  else if (form !== undefined) body = form;
  let res;
  try {
    res = await fetch("/api/v1" + path, { method, headers, body, signal });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;  // cancelled on purpose: callers ignore it
    // "Failed to fetch" / "NetworkError…": the browser's English, never shown to a judge
    throw new ApiError(0, NETWORK_ERROR);
  }
  if (res.status === 401 && !path.startsWith("/auth/token")) {
    if (!retried && await renewSession()) return api(path, { method, json, form, raw, signal }, true);
    toLogin(); throw new ApiError(401, "Phiên đăng nhập đã hết hạn.");
  }
  if (!res.ok) {
    let msg = "Có lỗi xảy ra (mã " + res.status + ").";
    try { const d = await res.json(); if (d && d.detail) msg = typeof d.detail === "string" ? d.detail : JSON.stringify(d.detail); } catch (e) { /* not JSON */ }
    throw new ApiError(res.status, msg);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

/** el("p", {class: "x", onclick: f}, "text", child…) — text is never parsed as HTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node, ...children) { node.replaceChildren(...children.flat().filter(Boolean)); return node; }

const pad = (n) => String(n).padStart(2, "0");
/** ISO date/time → dd/mm/yyyy (local time of the browser, i.e. Vietnam). */
function fmtDate(iso, withTime = false) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const s = pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear();
  return withTime ? s + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) : s;
}
/** "dd/mm/yyyy" → "yyyy-mm-dd" (or null when empty/invalid). */
function isoFromVn(s) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(s || "");
  if (!m) return null;
  const d = new Date(+m[3], +m[2] - 1, +m[1]);
  if (d.getMonth() !== +m[2] - 1) return null;
  return m[3] + "-" + pad(m[2]) + "-" + pad(m[1]);
}
/** "2025-03" → "03/2025". */
const fmtMonth = (ym) => ym.slice(5, 7) + "/" + ym.slice(0, 4);

function flash(message, kind = "ok") {
  const box = document.getElementById("flash");
  if (!box) return;
  clear(box, message ? el("p", { class: "flash " + kind }, message) : null);
}

function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

/** Where `needle` (a clause) lies in `text`: [start, end], or null. Tolerates a heading
 *  line before the clause ("Điều 273. … – khoản 1", from older indexes) and spacing that
 *  differs (a clause found at its first 40 characters runs to the next clause). */
function findClause(text, needle) {
  if (!needle) return null;
  let i = text.indexOf(needle);
  if (i >= 0) return [i, i + needle.length];
  const body = needle.replace(/^Điều [^\n]*\n/, "").trim();
  i = body ? text.indexOf(body) : -1;
  if (i >= 0) return [i, i + body.length];
  const head = body.slice(0, 40);
  i = head.length >= 10 ? text.indexOf(head) : -1;
  if (i < 0) return null;
  const next = text.slice(i + head.length).search(/\n\d{1,3}\.\s/);
  return [i, next < 0 ? text.length : i + head.length + next];
}

/** Text with `needle` (a clause of it) wrapped in <mark>. */
function highlighted(text, needle) {
  const frag = document.createDocumentFragment();
  const at = findClause(text, needle);
  if (!at) { frag.append(text); return frag; }
  frag.append(text.slice(0, at[0]), el("mark", {}, text.slice(at[0], at[1])), text.slice(at[1]));
  return frag;
}

/** Lower case, no diacritics (đ → d): "Thời hạn" and "thoi han" compare equal. */
function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();
}

/** The article's clauses ("1. …", "2. …"), or the whole text when it has none. */
function clauses(text) {
  const parts = text.split(/(?:\n|(?<=[.;:…]) )(?=\d{1,2}\.\s)/).map((p) => p.trim()).filter(Boolean);
  return parts.length ? parts : [text];
}

/** The clause to highlight: the engine's own `highlight`, else the clause sharing the
 *  most words with the question (so the fake engine and old indexes still show one). */
function clauseFor(text, highlight, question) {
  if (highlight) return highlight.replace(/^Điều [^\n]*\n/, "");
  if (!question) return "";
  const words = new Set(fold(question).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1));
  let best = "", bestScore = 1;
  for (const c of clauses(text)) {
    const score = new Set(fold(c).split(/[^\p{L}\p{N}]+/u).filter((w) => words.has(w))).size;
    if (score > bestScore) { best = c; bestScore = score; }
  }
  return best;
}

/** Opens the dialog with the full text of a legal article. */
async function showArticle(articleId, highlight = "", question = "") {
  const dlg = document.getElementById("article-dialog");
  const body = document.getElementById("article-dialog-body");
  document.getElementById("article-dialog-title").textContent = "Điều luật";
  clear(body, el("p", { class: "hint" }, "Đang tải…"));
  if (!dlg.open) dlg.showModal();
  try {
    const a = await api("/ui/articles/" + encodeURIComponent(articleId));
    document.getElementById("article-dialog-title").textContent = "Điều " + a.article_number + ". " + a.title;
    clear(body,
      el("p", { class: "meta" }, a.law_short + (a.law_number ? " (số " + a.law_number + ")" : "")),
      el("div", { class: "article-text" }, highlighted(a.text, clauseFor(a.text, highlight, question))));
  } catch (e) {
    clear(body, el("p", { class: "error" }, e.message));
  }
}

/** Downloads an API file with the bearer token (a plain link could not send it). */
async function download(path, fallbackName) {
  const res = await api(path, { raw: true });
  const cd = res.headers.get("Content-Disposition") || "";
  const m = /filename="?([^"]+)"?/.exec(cd);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: m ? m[1] : fallbackName });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function statusBadge(status, label) {
  return el("span", { class: "badge st-" + status }, label || status);
}

function hasRole(...roles) { const u = auth.user(); return !!u && roles.includes(u.role); }

/** The one label that says who the user is: the job title ("Thư ký Tòa án"), with the
 *  role in brackets only when it adds something ("Thẩm phán (Người duyệt)"). */
function userLabel(user) {
  const role = ROLE_LABELS[user.role] || user.role;
  if (!user.title) return role;
  return user.role === "judge" || user.title === role ? user.title : user.title + " (" + role + ")";
}

/** The unread count on the header's bell (called again after marking as read). */
async function refreshBell() {
  const badge = document.getElementById("bell-count");
  if (!badge) return;
  try {
    const r = await api("/notifications/unread-count");
    badge.textContent = r.unread > 99 ? "99+" : String(r.unread);
    badge.hidden = r.unread === 0;
    document.getElementById("bell").setAttribute("aria-label",
      r.unread ? "Thông báo: " + r.unread + " chưa đọc" : "Thông báo");
  } catch (e) { badge.hidden = true; }
}

/** A page the user's role may not use: one clear message instead of the page. */
function forbiddenPage(user, roles) {
  const names = { reviewer: "người duyệt", admin: "quản trị hệ thống", court_admin: "quản trị Tòa án" };
  const title = document.querySelector("main h1").textContent;
  const who = roles.map((r) => names[r] || r);
  const main = document.getElementById("main");
  clear(main, el("h1", {}, title), el("div", { class: "notice", role: "alert", id: "forbidden" },
    el("p", {}, "Trang “" + title + "” chỉ dành cho " + who.join(" và ") + ". Bạn đang đăng nhập với vai trò " +
      (ROLE_LABELS[user.role] || user.role) + " nên không dùng được trang này."),
    el("p", {}, "Bạn có thể ", el("a", { href: "/hoi-dap" }, "đặt câu hỏi"), " hoặc theo dõi đóng góp của mình ở trang ",
      el("a", { href: "/cua-toi" }, "Của tôi"), ".")));
}

/** Every page but the login page needs a token; the header shows who is signed in,
 *  the unread notifications, and on phones folds the tabs behind one "Danh mục" button. */
function initShell() {
  const page = document.body.dataset.page;
  if (page === "dang-nhap") return true;
  const user = auth.user();
  if (!auth.token() || !user) { toLogin(); return false; }
  const who = document.getElementById("who");
  clear(who,
    el("strong", {}, user.full_name),
    el("span", { class: "sep" }, " · "), el("span", { class: "court", title: user.court_name || "" }, user.court_name || "Chưa gắn Tòa án"),
    el("span", { class: "sep" }, " · "), el("span", { class: "role" }, userLabel(user)));
  for (const li of document.querySelectorAll(".tabs li[data-roles]")) {
    const roles = li.dataset.roles ? li.dataset.roles.split(",") : [];
    li.hidden = roles.length > 0 && !roles.includes(user.role);
  }
  document.getElementById("logout").addEventListener("click", async () => {
    // ends the session on the server (token and cookie), not only in this tab
    const token = auth.token();
    try {
      await fetch("/api/v1/auth/logout", { method: "POST", headers: token ? { Authorization: "Bearer " + token } : {} });
    } catch (e) { /* offline: the session still expires on its own */ }
    auth.clear(); location.assign("/dang-nhap");
  });
  const toggle = document.getElementById("menu-toggle");
  const menu = document.getElementById("menu");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && menu.classList.contains("open")) { toggle.click(); toggle.focus(); }
  });
  refreshBell();
  const roles = document.body.dataset.roles ? document.body.dataset.roles.split(",") : [];
  if (roles.length && !roles.includes(user.role)) { forbiddenPage(user, roles); return false; }
  return true;
}

/** The browser's own validation bubbles ("Please fill out this field.") in Vietnamese,
 *  on every form of every page: a capturing "invalid" listener sets the message, and
 *  the next edit clears it so the browser checks the field again. */
function validationMessage(field) {
  const v = field.validity;
  if (v.valueMissing) {
    if (field.type === "file") return "Vui lòng chọn một tệp.";
    if (field.type === "checkbox" || field.type === "radio") return "Vui lòng đánh dấu mục này.";
    if (field.tagName === "SELECT") return "Vui lòng chọn một mục trong danh sách.";
    return "Vui lòng điền vào trường này.";
  }
  if (v.typeMismatch) return field.type === "email" ? "Vui lòng nhập địa chỉ thư điện tử hợp lệ." : "Giá trị chưa đúng định dạng.";
  if (v.patternMismatch) return field.title || (field.placeholder ? "Vui lòng nhập đúng dạng " + field.placeholder + "." : "Giá trị chưa đúng định dạng.");
  if (v.tooShort) return "Vui lòng nhập ít nhất " + field.minLength + " ký tự (hiện có " + field.value.length + ").";
  if (v.tooLong) return "Vui lòng nhập tối đa " + field.maxLength + " ký tự.";
  if (v.rangeUnderflow) return "Giá trị phải từ " + field.min + " trở lên.";
  if (v.rangeOverflow) return "Giá trị phải từ " + field.max + " trở xuống.";
  if (v.stepMismatch || v.badInput) return "Vui lòng nhập một giá trị hợp lệ.";
  return "";
}

function installValidationMessages(root = document) {
  root.addEventListener("invalid", (ev) => {
    const f = ev.target;
    if (!f || typeof f.setCustomValidity !== "function") return;
    f.setCustomValidity("");  // measure the field's own state, not our previous message
    if (!f.validity.valid) f.setCustomValidity(validationMessage(f));
  }, true);
  const reset = (ev) => { const f = ev.target; if (f && typeof f.setCustomValidity === "function") f.setCustomValidity(""); };
  root.addEventListener("input", reset, true);
  root.addEventListener("change", reset, true);
}

installValidationMessages();
window.APP_READY = initShell();
