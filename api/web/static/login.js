/* Login: OAuth2 password form → access token and user kept in sessionStorage (closed
 * tab = gone), plus an HttpOnly session cookie the server sets, with which a new tab
 * (or this page, opened while still signed in) renews the token without the password.
 * After sign-in only an allow-listed page of this site is opened (`?next=`), never
 * another origin: "/\evil", "/%09/evil", "//evil" and "https://…" all go to /hoi-dap. */
"use strict";

const PAGES = ["/hoi-dap", "/dong-gop", "/duyet", "/thong-ke", "/van-ban", "/thu-vien", "/cho-giai-dap",
               "/cua-toi", "/thong-bao"];
const ENTRY_PAGE = /^\/thu-vien\/[0-9]{1,12}$/;  // one library entry, as a shared link opens it

function safeNext(raw) {
  const fallback = "/hoi-dap";
  // one slash then a letter: no "//", "/\", tabs, newlines or other tricks browsers strip
  if (typeof raw !== "string" || !/^\/[a-z]/.test(raw)) return fallback;
  let url;
  try { url = new URL(raw, location.origin); } catch (e) { return fallback; }
  if (url.origin !== location.origin) return fallback;
  if (!PAGES.includes(url.pathname) && !ENTRY_PAGE.test(url.pathname)) return fallback;
  return url.pathname + url.search + url.hash;
}

function goNext() {
  location.assign(safeNext(new URLSearchParams(location.search).get("next")));
}

document.getElementById("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("login-error");
  err.textContent = "";
  const username = document.getElementById("username").value.trim();
  const password = document.getElementById("password").value;
  if (!username || !password) { err.textContent = "Vui lòng nhập tên đăng nhập và mật khẩu."; return; }
  const form = new URLSearchParams({ username, password });
  try {
    const res = await fetch("/api/v1/auth/token", { method: "POST", body: form });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.detail || "Đăng nhập không thành công.");
    auth.save(data.access_token, data.user);
    goNext();
  } catch (e) {
    err.textContent = e instanceof TypeError ? NETWORK_ERROR : e.message;  // "Failed to fetch"
  }
});
document.getElementById("username").focus();
// still signed in (session cookie from another tab): straight on, no password needed
renewSession().then((ok) => { if (ok) goNext(); });
