/* Word-level diff (longest common subsequence) for the review page: what changed
 * since the previous revision, as <del>/<ins>. Long texts fall back to old/new. */
"use strict";

function wordDiff(before, after) {
  const a = (before || "").split(/(\s+)/).filter((t) => t !== "");
  const b = (after || "").split(/(\s+)/).filter((t) => t !== "");
  const frag = document.createDocumentFragment();
  if (a.length * b.length > 4e6) {
    frag.append(el("del", {}, before), " ", el("ins", {}, after));
    return frag;
  }
  const n = a.length, m = b.length;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  let i = 0, j = 0;
  const push = (tag, text) => {
    const last = frag.lastChild;
    if (tag && last && last.nodeName === tag.toUpperCase()) last.textContent += text;
    else frag.append(tag ? el(tag, {}, text) : text);
  };
  while (i < n && j < m) {
    if (a[i] === b[j]) { push(null, a[i]); i++; j++; }
    else if (L[i + 1][j] >= L[i][j + 1]) push("del", a[i++]);
    else push("ins", b[j++]);
  }
  while (i < n) push("del", a[i++]);
  while (j < m) push("ins", b[j++]);
  return frag;
}
