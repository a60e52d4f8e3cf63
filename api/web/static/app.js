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
 *  else back to the login page. */
async function api(path, { method = "GET", json, form, raw = false } = {}, retried = false) {
  const headers = {};
  const token = auth.token();
  if (token) headers.Authorization = "Bearer " + token;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  else if (form !== undefined) body = form;
  const res = await fetch("/api/v1" + path, { method, headers, body });
  if (res.status === 401 && !path.startsWith("/auth/token")) {
    if (!retried && await renewSession()) return api(path, { method, json, form, raw }, true);
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

/** Text with `needle` (a clause of it) wrapped in <mark>. */
function highlighted(text, needle) {
  const frag = document.createDocumentFragment();
  const i = needle ? text.indexOf(needle) : -1;
  if (i < 0) { frag.append(text); return frag; }
  frag.append(text.slice(0, i), el("mark", {}, needle), text.slice(i + needle.length));
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
  if (highlight) return highlight;
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

/** Every page but the login page needs a token; the header shows who is signed in. */
function initShell() {
  const page = document.body.dataset.page;
  if (page === "dang-nhap") return true;
  const user = auth.user();
  if (!auth.token() || !user) { toLogin(); return false; }
  const who = document.getElementById("who");
  clear(who,
    el("strong", {}, user.full_name),
    el("span", { class: "sep" }, " · "), user.court_name || "Chưa gắn Tòa án",
    el("span", { class: "sep" }, " · "), el("span", { class: "role" }, ROLE_LABELS[user.role] || user.role));
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
  return true;
}

window.APP_READY = initShell();
