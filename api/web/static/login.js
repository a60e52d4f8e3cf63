/* Login: OAuth2 password form → token and user kept in sessionStorage (closed tab =
 * signed out; tokens expire after 30 minutes on the server anyway). */
"use strict";

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
    const next = new URLSearchParams(location.search).get("next") || "";
    location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/hoi-dap");
  } catch (e) {
    err.textContent = e instanceof TypeError ? NETWORK_ERROR : e.message;  // "Failed to fetch"
  }
});
document.getElementById("username").focus();
