// The Pagefind API as the search page's UI uses it (PagefindUI imports `pagefind.js` from its
// bundle path: this folder), over the site's index in parts, giving the results one index would.
//
// Pagefind searches each part on its own. A part that does not know one of the query's words
// drops that word there, and a part where no page holds every word falls back to pages holding
// some of them; so a query for an issuer (a rare place name and common words) found, in the
// parts without that place, every page with the common words. Here a page is found only if it
// holds every word of the query that the index knows anywhere, as in one index:
//
// 1. each word alone: the pages that hold it (a word no part knows is left out, as Pagefind does);
// 2. the query in each part (the filter `part`, given to every page when its part is indexed):
//    a part whose best result holds every known word answered the query itself; any other part
//    fell back, and none of its pages holds them all;
// 3. the query with the user's filters, in the parts of step 2 only.
//
// Steps 1–2 reuse the word chunks the query loads anyway; the result per query is kept while the
// page is open (changing a filter re-runs step 3 only). The filter `part` is not shown.
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

async function pagesWith(word) {
  const r = await pagefind.search(word, { filters: {} });
  return new Set(r ? r.results.map((x) => x.id) : []);
}

// The parts that answer `term` with pages holding every word the index knows; null when there is
// nothing to restrict (one known word at most, or an index without parts named).
async function answeringParts(term) {
  if (answered.has(term)) return answered.get(term);
  const words = Array.from(new Set(term.split(/\s+/).filter(Boolean)));
  const known = [];
  for (const word of words) {
    const pages = await pagesWith(word);
    if (pages.size) known.push(pages);
  }
  let parts = null;
  if (known.length > 1) {
    const all = await pagefind.filters();
    const names = Object.keys((all && all[PART]) || {}).sort();
    if (names.length) {
      parts = [];
      for (const name of names) {
        const r = await pagefind.search(term, { filters: { [PART]: name } });
        const best = r && r.results[0];
        if (best && known.every((pages) => pages.has(best.id))) parts.push(name);
      }
    }
  }
  answered.set(term, parts);
  return parts;
}

export async function search(term, o = {}) {
  const opts = { ...o };
  const text = String(term || "").trim();
  // A quoted phrase is Pagefind's exact search: every word is required there already.
  if (text && !/^".+"$/.test(text)) {
    const parts = await answeringParts(text);
    if (parts) {
      opts.filters = { ...(opts.filters || {}), [PART]: { any: parts.length ? parts : ["-"] } };
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
