/* Thư viện: approved entries by lĩnh vực and tag. The filters live in the address
 * (?field=…&tag=…&q=…) so a filtered list is a link too; each entry links to its own
 * page /thu-vien/{id}. Talks to /api/v1/library. */
"use strict";

const PAGE = 20;
const state = { field: "", tag: "", q: "", offset: 0 };
const $l = (id) => document.getElementById(id);
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function fromUrl() {
  const p = new URLSearchParams(location.search);
  state.field = p.get("field") || ""; state.tag = p.get("tag") || ""; state.q = p.get("q") || "";
  $l("lib-q").value = state.q;
}

function toUrl() {
  const p = new URLSearchParams();
  for (const k of ["field", "tag", "q"]) if (state[k]) p.set(k, state[k]);
  const qs = p.toString();
  history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
}

function entryItem(e) {
  return el("li", { "data-entry-id": e.id },
    el("a", { href: e.url, class: "entry-link" }, e.question),
    el("p", { class: "meta" }, cap(e.field) + (e.approved_at ? " · duyệt ngày " + fmtDate(e.approved_at) : "") +
      (e.court_name ? " · " + e.court_name : "")),
    e.tags.length ? el("ul", { class: "chips small" }, e.tags.map((t) => el("li", { class: "chip" }, t))) : null);
}

function renderFilters(r) {
  const sel = $l("lib-field");
  clear(sel, el("option", { value: "" }, "Tất cả lĩnh vực"),
    r.fields.map((f) => el("option", { value: f.field, selected: f.field === state.field }, cap(f.field) + " (" + f.count + ")")));
  clear($l("lib-tags"), r.tags.map((t) => el("li", {},
    el("button", { type: "button", class: "chip tag", "aria-pressed": String(t.tag === state.tag),
      onclick: () => { state.tag = state.tag === t.tag ? "" : t.tag; load(true); } }, t.tag + " · " + t.count))));
}

async function load(reset) {
  if (reset) state.offset = 0;
  toUrl();
  const p = new URLSearchParams({ limit: PAGE, offset: state.offset });
  for (const k of ["field", "tag", "q"]) if (state[k]) p.set(k, state[k]);
  try {
    const r = await api("/library?" + p);
    renderFilters(r);
    const list = $l("lib-list");
    if (reset) clear(list);
    list.append(...r.items.map(entryItem));
    if (!r.total) clear(list, el("li", { class: "hint" }, "Chưa có câu hỏi – trả lời đã duyệt nào khớp với bộ lọc."));
    $l("lib-count").textContent = r.total + " câu hỏi – trả lời đã duyệt" +
      (state.field ? " · lĩnh vực " + state.field : "") + (state.tag ? " · thẻ “" + state.tag + "”" : "");
    state.offset += r.items.length;
    $l("lib-more").hidden = state.offset >= r.total;
  } catch (e) { flash(e.message, "error"); }
}

if (window.APP_READY) {
  fromUrl();
  $l("lib-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.q = $l("lib-q").value.trim();
    load(true);
  });
  $l("lib-field").addEventListener("change", () => { state.field = $l("lib-field").value; state.tag = ""; load(true); });
  $l("lib-more").addEventListener("click", () => load(false));
  load(true);
}
