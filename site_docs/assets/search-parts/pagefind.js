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
// when a query first needs it with the filter `part` set to its number on every page (Pagefind's
// `mergeFilter`), and that filter keeps the results to those parts.
// The filters shown are the site's (from `parts.json`), without `part`.
//
// The directory also gives, for each part holding a word, the number of its pages holding it;
// for each part, the fewest pages holding one of the query's words bounds its matches. A query
// whose bound over the parts exceeds `sample.over` (a word found in nearly every report, whose
// positions in every part would cost about 1 MB at 10,000 reports) is searched first in the part
// with the highest bound, then the next, until it has `sample.until` results or no part is left.
// Each search tells the page what it covered (the event `govsearch:scope` on `window`: its term,
// the reports in the parts it searched, the site's reports, whether that was every part holding
// its words); the event `govsearch:widen` with a term has its next search cover every part
// holding its words. Within the parts searched, results are ranked as one index ranks them.
//
// A query that is the name of an issuing body (`parts.json` lists the names' files, see
// pipeline/site/issuer_names.py), without quotes or filters, is answered first with that body's
// page, which lists its reports (at most 100): searching the text for a body's full name would load a word
// chunk of each of its words in every part. The event `govsearch:scope` then carries `issuers`
// (name, reports), and `govsearch:widen` then searches the text as any query is searched (part
// by part first, when it may match very many reports; widened again, every part). This holds
// for a site in one index as well.
import * as pagefind from "../../pagefind/pagefind.js";

const PART = "part";
const root = new URL("../../pagefind/", import.meta.url);
const site = fetch(new URL("parts.json", root))
  .then((r) => (r.ok ? r.json() : {}))
  .catch(() => ({}));
const merged = new Map();
const names = new Map();
const chunks = new Map();
const scopes = new Map();
// How far each term was widened (1: past the issuers' names; 2: every part too), and what its
// last search left out ("names" or "parts").
const wide = new Map();
const leftOut = new Map();
window.addEventListener("govsearch:widen", (e) => {
  const term = String(e.detail || "").trim();
  wide.set(term, Math.max(wide.get(term) || 0, leftOut.get(term) === "names" ? 1 : 2));
});
const widened = (term) => wide.get(term) || 0;

function tell(detail, left) {
  if (left) leftOut.set(detail.term, left);
  else leftOut.delete(detail.term);
  window.dispatchEvent(new CustomEvent("govsearch:scope", { detail }));
}

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

// The text of a gzip file of the directory (`words/…`, `names/…`).
function gunzipped(path) {
  return fetch(new URL(path, root)).then((r) => {
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).text();
  });
}

function loadChunk(file) {
  if (!chunks.has(file)) {
    chunks.set(
      file,
      gunzipped(`words/${file}`).then((text) => {
        // word → for each part holding it, the number of its pages holding it.
        const map = new Map();
        for (const line of text.split("\n")) {
          const [word, mask, counts] = line.split("\t");
          if (!word || !mask) continue;
          const n = (counts || "").split(",").map(Number);
          const bits = BigInt(`0x${mask}`);
          const held = new Map();
          for (let g = 0, k = 0; bits >> BigInt(g); g++) {
            if ((bits >> BigInt(g)) & 1n) held.set(g, n[k++] || 1);
          }
          map.set(word, held);
        }
        return map;
      }),
    );
  }
  return chunks.get(file);
}

// The parts holding `word` and on how many pages (at most, for the words it begins: a page may
// hold several), exactly or as the beginning of a longer word; and the parts each of whose
// pages holds it (one word, itself or one it begins, found on every page of the part).
async function holding(word, exact, s) {
  const files = s.words
    .filter(([first, last]) => !(last < word) && (first <= word || first.startsWith(word)))
    .map(([, , file]) => file);
  const held = new Map();
  const everywhere = new Set();
  const add = (counts) => {
    for (const [g, n] of counts) {
      const all = s.pages?.[g] ?? Infinity;
      held.set(g, Math.min((held.get(g) || 0) + n, all));
      if (n >= all) everywhere.add(g);
    }
  };
  for (const map of await Promise.all(files.map(loadChunk))) {
    if (exact) add(map.get(word) || []);
    else for (const [w, counts] of map) if (w.startsWith(word)) add(counts);
  }
  return { held, everywhere };
}

// The parts that may answer `term` (every part holding each of its words), each with the
// fewest pages holding one of its words there (`bounds`: `[[part, bound], …]`, in part order),
// and the term to search there: without the words found on every page of those parts (they
// would not narrow the results, weigh next to nothing in the ranking, and cost the most: every
// position of every page), unless no other word is left, and whole for a quoted search.
async function scope(term, s) {
  if (scopes.has(term)) return scopes.get(term);
  const exact = /^\s*".+"\s*$/.test(term);
  const list = words(term);
  const found = await Promise.all(list.map((w) => holding(w, exact, s)));
  let bounds = new Map(s.parts.map((_, g) => [g, Infinity]));
  for (const { held } of found) {
    // A quoted search needs every word as it is; otherwise a word no part holds is left out.
    if (!held.size && !exact) continue;
    const next = new Map();
    for (const [g, n] of bounds) if (held.has(g)) next.set(g, Math.min(n, held.get(g)));
    bounds = next;
  }
  const parts = [...bounds].map(([g, n]) => [g, Number.isFinite(n) ? n : s.pages?.[g] || 0]);
  let searched = term;
  if (!exact && parts.length) {
    const kept = list.filter((_, i) => !parts.every(([g]) => found[i].everywhere.has(g)));
    if (kept.length && kept.length < list.length) searched = kept.join(" ");
  }
  const out = { bounds: parts, term: searched };
  scopes.set(term, out);
  return out;
}

function loadNames(file) {
  if (!names.has(file)) {
    names.set(
      file,
      gunzipped(`names/${file}`)
        .then((text) => {
          // key → the issuers of that name: [id, name, reports, first year, last year].
          const map = new Map();
          for (const line of text.split("\n")) {
            const [key, ...row] = line.split("\t");
            if (!key || row.length < 5) continue;
            if (!map.has(key)) map.set(key, []);
            map.get(key).push(row);
          }
          return map;
        })
        .catch(() => new Map()),
    );
  }
  return names.get(file);
}

// The issuers whose name (any name their reports give them) is the query, or none.
async function issuersNamed(term, s) {
  if (!Array.isArray(s.names) || /^\s*".+"\s*$/.test(term)) return [];
  const key = words(term).join("");
  const file = s.names.find(([first, last]) => key && !(key < first) && !(last < key));
  if (!file) return [];
  return (await loadNames(file[2])).get(key) || [];
}

const chosen = (filters) =>
  Object.values(filters || {}).some((v) =>
    Array.isArray(v) ? v.length > 0 : v && typeof v === "object" ? Object.keys(v).length > 0 : !!v,
  );

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The issuers' pages as the results of a search (the UI shows a result's excerpt as HTML).
async function issuerResults(found, text, s) {
  const results = found.map(([id, name, reports, first, last], i) => {
    const url = new URL(`../../issuers/${encodeURIComponent(id)}/`, import.meta.url).pathname;
    const years = first === last ? `${first} 年` : `${first}–${last} 年`;
    const excerpt = escapeHtml(`机关页面：${years}的 ${Number(reports)} 份报告`);
    const data = {
      url,
      raw_url: url,
      content: "",
      raw_content: "",
      excerpt,
      word_count: 0,
      meta: { title: name },
      filters: {},
      anchors: [],
      locations: [],
      weighted_locations: [],
    };
    // The page itself as its only sub-result: the UI shows a result's excerpt from it.
    data.sub_results = [{ title: name, url, excerpt, locations: [], weighted_locations: [] }];
    return { id: `issuer-${id}`, score: found.length - i, words: [], data: async () => data };
  });
  let filters;
  if (inParts(s)) filters = complete({}, s);
  else {
    filters = hidePart((await pagefind.filters()) || {});
    for (const values of Object.values(filters)) for (const v of Object.keys(values)) values[v] = 0;
  }
  const total = inParts(s) ? pagesOf(s.parts.map((_, g) => g), s) : 0;
  const issuers = found.map(([, name, reports]) => ({ name, reports: Number(reports) }));
  tell({ term: text, searched: 0, total, complete: false, issuers }, "names");
  return {
    results,
    unfilteredResultCount: results.length,
    filters,
    totalFilters: filters,
    timings: { preload: 0, search: 0, total: 0 },
  };
}

function merge(parts, s) {
  return Promise.all(
    parts.map((g) => {
      // Every page of part g gets the filter part: g (its pages do not carry it).
      const path = new URL(s.parts[g], root).pathname;
      const options = { mergeFilter: { [PART]: String(g) } };
      if (!merged.has(g)) merged.set(g, pagefind.mergeIndex(path, options));
      return merged.get(g);
    }),
  );
}

const pagesOf = (parts, s) => parts.reduce((n, g) => n + (s.pages?.[g] || 0), 0);

async function searchIn(parts, term, opts, s) {
  await merge(parts, s);
  // No part holds every word: a filter no page passes (a page is in one part only).
  const only = parts.length ? { any: parts.map(String) } : ["stub", "0"];
  return pagefind.search(term, { ...opts, filters: { ...(opts.filters || {}), [PART]: only } });
}

export async function search(term, o = {}) {
  const s = await site;
  const opts = { ...o };
  const text = String(term || "").trim();
  if (text && widened(text) < 1 && !chosen(opts.filters)) {
    const found = await issuersNamed(text, s);
    if (found.length) return issuerResults(found, text, s);
  }
  if (!inParts(s)) {
    const r = await pagefind.search(term, opts);
    if (r) {
      hidePart(r.filters);
      hidePart(r.totalFilters);
    }
    tell({ term: text, searched: 0, total: 0, complete: true });
    return r;
  }
  let bounds = s.parts.map((_, g) => [g, s.pages?.[g] || 0]);
  let query = term;
  if (text) ({ bounds, term: query } = await scope(text, s));
  const all = bounds.map(([g]) => g);
  const sample = s.sample || {};
  let r;
  let searched = all;
  const bound = bounds.reduce((n, [, b]) => n + b, 0);
  if (text && all.length > 1 && widened(text) < 2 && sample.over >= 0 && bound > sample.over) {
    // Part by part, where the query may match most first (then in part order).
    const order = [...bounds].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([g]) => g);
    searched = [];
    for (const g of order) {
      searched.push(g);
      r = await searchIn(searched, query, opts, s);
      if (!r || r.results.length >= (sample.until || 1)) break;
    }
  } else {
    r = await searchIn(all, query, opts, s);
  }
  const detail = {
    term: text,
    searched: pagesOf(searched, s),
    total: pagesOf(s.parts.map((_, g) => g), s),
    complete: searched.length === all.length,
  };
  tell(detail, detail.complete ? null : "parts");
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
