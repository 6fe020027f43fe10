// The Pagefind API as the search page's UI uses it (PagefindUI imports `pagefind.js` from its
// bundle path: this folder), over the site's index in parts, giving the results one index would.
//
// Pagefind searches each part on its own, and a part reads a word by what it holds itself: a
// word it does not hold at all is dropped from the query there, and a word it holds neither
// exactly nor as the beginning of a longer word is matched by the longest shorter word it holds
// (三台 for 三台县, 234 for 2341). So a query for an issuer (a place name found in one part, and
// common words) found, in every other part, all the pages with the common words, and a figure
// stated once found pages with a shorter number in the parts without it. Here each word of the
// query is read as one index reads it:
//
// 1. each word is looked up, exactly and as Pagefind reads it, with a filter no page passes,
//    which Pagefind answers at once with the number of pages that hold it in each part (the
//    filter `part`, given to every page when its part is indexed), without ranking them;
// 2. a part that answers with a shorter word (its count is that word's, checked on its best
//    pages' text when they are few) does not hold the word; a word no part holds is left out, as
//    one index would; a part that does not hold every other word is left out of the query (the
//    filter `part`, added to the user's filters);
// 3. the query runs, and `part` is hidden from the filters shown.
//
// Step 1 loads the word chunks the query needs anyway; when every part holds every word (common
// words) the query runs unchanged.
import * as pagefind from "../../pagefind/pagefind.js";

const PART = "part";
const answered = new Map();

export const options = (o) => pagefind.options(o);
export const init = () => pagefind.init();
export const destroy = () => pagefind.destroy();
export const mergeIndex = (path, o) => pagefind.mergeIndex(path, o);
export const preload = (term, o) => pagefind.preload(term, o);

function hidePart(filters) {
  if (filters && typeof filters === "object") delete filters[PART];
  return filters;
}

export async function filters() {
  return hidePart(await pagefind.filters());
}

async function partsOf() {
  const all = await pagefind.filters();
  return Object.keys((all && all[PART]) || {}).sort();
}

async function countsPerPart(query, nowhere) {
  const r = await pagefind.search(query, { filters: nowhere });
  return (r && r.totalFilters && r.totalFilters[PART]) || {};
}

// How many pages of each part hold `word` or a word beginning with it. Where a part holds
// neither, Pagefind answers with the longest shorter word the part holds (三台 for 三台县, 256 for
// 2567), which one index would not do when another part holds the word. A part whose count is
// exactly that shorter word's count is checked: with a handful of pages, by whether its best
// pages' text holds the word; with more, the equal count is taken as that answer.
async function heldPerPart(word, nowhere, parts) {
  const exact = await countsPerPart(`"${word}"`, nowhere);
  const loose = await countsPerPart(word, nowhere);
  const out = {};
  for (const p of parts) out[p] = loose[p] || 0;
  const chars = Array.from(word);
  let open = parts.filter((p) => out[p] > 0 && !(exact[p] > 0));
  // The longest shorter word each of those parts holds, longest first, as far as needed.
  for (let k = chars.length - 1; k >= 1 && open.length; k--) {
    const counts = await countsPerPart(`"${chars.slice(0, k).join("")}"`, nowhere);
    for (const p of open.filter((q) => counts[q] > 0)) {
      if (counts[p] === out[p] && (out[p] > 20 || !(await textHolds(word, p)))) out[p] = 0;
    }
    open = open.filter((q) => !(counts[q] > 0));
  }
  return out;
}

async function textHolds(word, part) {
  const r = await pagefind.search(word, { filters: { [PART]: part } });
  for (const result of (r ? r.results : []).slice(0, 3)) {
    const data = await result.data();
    if (String(data.content || "").replace(/\u200b/g, "").includes(word)) return true;
  }
  return false;
}

const holds = (counts) => Object.values(counts).some((n) => n > 0);

// The parts the query may be answered from; null when that is every part.
async function answeringParts(term) {
  if (answered.has(term)) return answered.get(term);
  let keep = null;
  const parts = await partsOf();
  if (parts.length > 1) {
    const nowhere = { [PART]: parts.slice(0, 2) }; // no page is in two parts
    const known = [];
    for (const word of new Set(term.split(/\s+/).filter(Boolean))) {
      const counts = await heldPerPart(word, nowhere, parts);
      if (holds(counts)) known.push(counts);
    }
    const every = parts.filter((p) => known.every((counts) => counts[p] > 0));
    if (every.length < parts.length) keep = every; // [] when no part holds them all
  }
  answered.set(term, keep);
  return keep;
}

export async function search(term, o = {}) {
  const opts = { ...o };
  const text = String(term || "").trim();
  // A quoted phrase is Pagefind's exact search: every word is required there already.
  if (text && !/^".+"$/.test(text)) {
    const parts = await answeringParts(text);
    if (parts && parts.length) {
      opts.filters = { ...(opts.filters || {}), [PART]: { any: parts } };
    } else if (parts) {
      // No part knows every word: no page holds them all.
      opts.filters = { ...(opts.filters || {}), [PART]: (await partsOf()).slice(0, 2) };
    }
  }
  const r = await pagefind.search(term, opts);
  if (r) {
    hidePart(r.filters);
    hidePart(r.totalFilters);
  }
  return r;
}

export async function debouncedSearch(term, o, ms = 300) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return search(term, o);
}
