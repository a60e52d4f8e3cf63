/* Của tôi: my entries by status (edit a draft or a rejected entry, withdraw a pending
 * one), the questions I asked, and the answers they got later. */
"use strict";

const $ = (id) => document.getElementById(id);
const STATUS_ORDER = [["", "Tất cả"], ["draft", "Bản nháp"], ["pending", "Chờ duyệt"], ["rejected", "Bị từ chối"],
  ["approved", "Đã duyệt"], ["retired", "Ngừng sử dụng"]];
const PAGE = 20;
let status = "";
let entryOffset = 0;
let questionOffset = 0;

function figure(id, value, label) {
  return el("div", { class: "figure", id }, el("span", { class: "value" }, String(value)), el("span", { class: "label" }, label));
}

async function loadSummary() {
  const s = await api("/me/summary");
  const total = Object.values(s.entries).reduce((a, b) => a + b, 0);
  clear($("my-figures"),
    figure("fig-mine", total, "câu hỏi – trả lời đã soạn"),
    figure("fig-approved", s.entries.approved, "đã được duyệt"),
    figure("fig-asked", s.questions, "câu hỏi đã hỏi"),
    figure("fig-answered", s.answered_later, "câu hỏi nay đã có câu trả lời"));
  clear($("status-tabs"), STATUS_ORDER.map(([key, label]) => el("button", {
    type: "button", class: "small", "aria-pressed": String(key === status), "data-status": key,
    onclick: () => { status = key; loadSummary(); loadEntries(true); },
  }, label + " (" + (key ? s.entries[key] : total) + ")")));
}

function entryItem(e) {
  const actions = el("div", { class: "actions tight" });
  if (["draft", "rejected"].includes(e.status)) actions.append(el("a", { class: "button small", href: "/dong-gop?sua=" + e.id }, "Sửa"));
  if (e.status === "pending") actions.append(el("button", { type: "button", class: "small", onclick: async () => {
    try {
      await api("/qa/" + e.id + "/withdraw", { method: "POST", json: { version: e.version } });
      flash("Đã rút lại câu hỏi về bản nháp."); loadSummary(); loadEntries(true);
    } catch (err) { flash(err.message, "error"); }
  } }, "Rút lại"));
  return el("li", { "data-entry-id": e.id },
    el("div", { class: "row" }, statusBadge(e.status, e.status_label), el("span", { class: "hint" }, "cập nhật " + fmtDate(e.updated_at))),
    el("p", {}, e.question),
    e.reject_reason ? el("p", { class: "comment" }, "Ý kiến người duyệt: " + e.reject_reason) : null,
    actions.childElementCount ? actions : null);
}

async function loadEntries(reset) {
  const ul = $("my-entries");
  if (reset) { entryOffset = 0; clear(ul); }
  try {
    const r = await api("/qa?mine=true&limit=" + PAGE + "&offset=" + entryOffset + (status ? "&status=" + status : ""));
    if (!r.total) { clear(ul, el("li", { class: "hint" }, status ? "Không có câu nào ở trạng thái này." : "Bạn chưa soạn câu hỏi – trả lời nào.")); }
    ul.append(...r.items.map(entryItem));
    entryOffset += r.items.length;
    $("my-entries-more").hidden = entryOffset >= r.total;
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

function answerBlock(a) {
  return el("details", { class: "my-answer" }, el("summary", {}, "Câu trả lời: " + a.question),
    el("p", { class: "answer-text" }, a.answer));
}

function questionItem(q) {
  let state;
  if (q.answer) state = el("span", { class: "badge st-approved" }, "Đã có câu trả lời");
  else if (q.answered_when_asked) state = el("span", { class: "badge st-approved" }, "Đã trả lời khi hỏi");
  else if (q.unanswered_status === "answered") state = el("span", { class: "badge st-pending" }, "Câu trả lời đang chờ duyệt");
  else state = el("span", { class: "badge st-draft" }, "Chưa có câu trả lời");
  return el("li", {},
    el("div", { class: "row" }, state, el("span", { class: "hint" }, q.times + " lần · lần cuối " + fmtDate(q.last_asked_at, true))),
    el("p", {}, q.question),
    q.answer ? answerBlock(q.answer) : null);
}

async function loadQuestions(reset) {
  const ul = $("my-questions");
  if (reset) { questionOffset = 0; clear(ul); }
  try {
    const r = await api("/me/questions?limit=" + PAGE + "&offset=" + questionOffset);
    if (!r.total) clear(ul, el("li", { class: "hint" }, "Bạn chưa hỏi câu nào."));
    ul.append(...r.items.map(questionItem));
    questionOffset += r.items.length;
    $("my-questions-more").hidden = questionOffset >= r.total;
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

async function loadAnswers() {
  const ul = $("my-answers");
  try {
    const r = await api("/me/questions?answered=true&limit=50");
    clear(ul, r.items.length ? r.items.map((q) => el("li", {}, el("p", {}, el("strong", {}, q.question)), answerBlock(q.answer)))
      : el("li", { class: "hint" }, "Chưa có câu hỏi nào của bạn được trả lời thêm."));
    if (location.hash === "#tra-loi" && r.items.length) ul.querySelector("details").open = true;
  } catch (e) { clear(ul, el("li", { class: "error" }, e.message)); }
}

if (window.APP_READY) {
  $("my-entries-more").addEventListener("click", () => loadEntries(false));
  $("my-questions-more").addEventListener("click", () => loadQuestions(false));
  loadSummary().catch((e) => flash(e.message, "error"));
  loadEntries(true); loadQuestions(true); loadAnswers();
}
