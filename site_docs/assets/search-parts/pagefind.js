// The Pagefind API as the search page's UI uses it (PagefindUI imports `pagefind.js` from its
// bundle path: this folder), over the site's index in parts, giving the results one index would
// and loading only the parts a query needs.
//
// A site in parts has at `pagefind/` a stub index (one page, which no query lets through) and
// its parts at `pagefind/part-<g>/`; `pagefind/parts.json` lists the parts, the site's filter
// values with their page counts, and a word directory: which parts hold each word Pagefind
// indexed, in small gzip files, each listed with its first and last word.
//
// Pagefind searches each part on its own, and a part reads a word by what it holds itself: a
// word it holds neither exactly nor as the beginning of a longer word is matched there by the
// longest shorter word it holds (三台 for 三台县, 234 for 2341), or dropped. So for each word of
// the query the directory gives the parts that hold it (exactly, for a quoted search; as itself
// or the beginning of a longer word otherwise); the query runs in the parts that hold every
// word (a word no part holds is left out, as one index would), each merged into the search
// when a query first needs it, and the filter `part` keeps the results to those parts.
// The filters shown are the site's (from `parts.json`), without `part`.
import * as pagefind from "../../pagefind/pagefind.js";

const PART = "part";
const root = new URL("../../pagefind/", import.meta.url);
const site = fetch(new URL("parts.json", root))
  .then((r) => (r.ok ? r.json() : {}))
  .catch(() => ({}));
const merged = new Map();
const chunks = new Map();
const scopes = new Map();

export const options = (o) => pagefind.options(o);
export const init = () => pagefind.init();
export const destroy = () => pagefind.destroy();
// Parts are merged when a query needs them (see `search`), not when the UI starts.
export const mergeIndex = (path, o) => pagefind.mergeIndex(path, o);
// Nothing is loaded ahead: a query loads what it needs when it runs.
export const preload = () => Promise.resolve();

const inParts = (s) => Array.isArray(s.words) && Array.isArray(s.parts) && s.parts.length > 1;

function hidePart(filters) {
  if (filters && typeof filters === "object") delete filters[PART];
  return filters;
}

// The site's filters with the counts of `counts` (0 where it has none), in the site's order.
function complete(counts, s) {
  const out = {};
  for (const [name, values] of Object.entries(s.filters || {})) {
    const have = (counts && counts[name]) || {};
    out[name] = {};
    for (const value of Object.keys(values)) out[name][value] = have[value] || 0;
    for (const [value, n] of Object.entries(have)) if (!(value in out[name])) out[name][value] = n;
  }
  return out;
}

export async function filters() {
  const s = await site;
  if (inParts(s)) return complete(s.filters, s);
  return hidePart(await pagefind.filters());
}

// What Pagefind makes of a query before looking its words up: lower case, punctuation and
// diacritics removed, words split at spaces (the search page has already split the Chinese).
function words(term) {
  const out = [];
  for (const raw of term.split(/\s+/)) {
    const word = raw
      .normalize("NFD")
      .replace(/[\p{Pd}\p{Pe}\p{Pf}\p{Pi}\p{Po}\p{Ps}\u0300-\u036f]/gu, "")
      .toLocaleLowerCase()
      .normalize("NFC");
    if (word) out.push(word);
  }
  return [...new Set(out)];
}

function loadChunk(file) {
  if (!chunks.has(file)) {
    chunks.set(
      file,
      fetch(new URL(`words/${file}`, root))
        .then((r) => {
          if (!r.ok) throw new Error(`${file}: ${r.status}`);
          return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).text();
        })
        .then((text) => {
          const map = new Map();
          for (const line of text.split("\n")) {
            const tab = line.indexOf("\t");
            if (tab > 0) map.set(line.slice(0, tab), BigInt(`0x${line.slice(tab + 1)}`));
          }
          return map;
        }),
    );
  }
  return chunks.get(file);
}

// The parts holding `word` (a bit mask): exactly, or as the beginning of a longer word.
async function holding(word, exact, s) {
  const files = s.words
    .filter(([first, last]) => !(last < word) && (first <= word || first.startsWith(word)))
    .map(([, , file]) => file);
  let mask = 0n;
  for (const map of await Promise.all(files.map(loadChunk))) {
    if (exact) mask |= map.get(word) || 0n;
    else for (const [w, m] of map) if (w.startsWith(word)) mask |= m;
  }
  return mask;
}

// The parts that may answer `term`: every part holding each of its words.
async function scope(term, s) {
  if (scopes.has(term)) return scopes.get(term);
  const exact = /^\s*".+"\s*$/.test(term);
  const masks = await Promise.all(words(term).map((w) => holding(w, exact, s)));
  let keep = (1n << BigInt(s.parts.length)) - 1n;
  for (const mask of masks) {
    // A quoted search needs every word as it is; otherwise a word no part holds is left out.
    if (mask || exact) keep &= mask;
  }
  const parts = [];
  for (let g = 0; g < s.parts.length; g++) if ((keep >> BigInt(g)) & 1n) parts.push(g);
  scopes.set(term, parts);
  return parts;
}

function merge(parts, s) {
  return Promise.all(
    parts.map((g) => {
      if (!merged.has(g)) merged.set(g, pagefind.mergeIndex(new URL(s.parts[g], root).pathname));
      return merged.get(g);
    }),
  );
}

export async function search(term, o = {}) {
  const s = await site;
  const opts = { ...o };
  const text = String(term || "").trim();
  if (!inParts(s)) {
    const r = await pagefind.search(term, opts);
    if (r) {
      hidePart(r.filters);
      hidePart(r.totalFilters);
    }
    return r;
  }
  const parts = text ? await scope(text, s) : s.parts.map((_, g) => g);
  await merge(parts, s);
  // No part holds every word: a filter no page passes (a page is in one part only).
  const only = parts.length ? { any: parts.map(String) } : ["stub", "0"];
  opts.filters = { ...(opts.filters || {}), [PART]: only };
  const r = await pagefind.search(term, opts);
  if (r) {
    r.filters = complete(r.filters, s);
    r.totalFilters = complete(r.totalFilters, s);
  }
  return r;
}

export async function debouncedSearch(term, o, ms = 300) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return search(term, o);
}
