// The Pagefind API as the search page's UI uses it (PagefindUI imports `pagefind.js` from its
// bundle path: this folder), over the site's index in parts, giving the results one index would.
//
// Pagefind searches each part on its own, and a part that does not know one of the query's
// words drops that word there: a query for an issuer (a place name found in one part, and
// common words) found, in every other part, all the pages with the common words. One index
// drops only a word it does not know at all. So here, for a query of several words:
//
// 1. each word is looked up with a filter no page passes, which Pagefind answers at once with
//    the number of pages holding the word in each part (the filter `part`, given to every page
//    when its part is indexed), without ranking them;
// 2. a word no part knows is left out, as one index would; a part that lacks any other word is
//    left out of the query (the filter `part`, added to the user's filters);
// 3. the query runs, and `part` is hidden from the filters shown.
//
// Step 1 loads the word chunks the query needs anyway; when every part knows every word (common
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

// The parts the query may be answered from; null when that is every part.
async function answeringParts(term) {
  if (answered.has(term)) return answered.get(term);
  let keep = null;
  const words = Array.from(new Set(term.split(/\s+/).filter(Boolean)));
  const parts = words.length > 1 ? await partsOf() : [];
  if (parts.length > 1) {
    const nowhere = { [PART]: parts.slice(0, 2) }; // no page is in two parts
    const known = [];
    for (const word of words) {
      const r = await pagefind.search(word, { filters: nowhere });
      const counts = (r && r.totalFilters && r.totalFilters[PART]) || {};
      if (Object.values(counts).some((n) => n > 0)) known.push(counts);
    }
    if (known.length > 1) {
      const every = parts.filter((p) => known.every((counts) => counts[p] > 0));
      if (every.length < parts.length) keep = every; // [] when no part knows them all
    }
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
