// Search page: Pagefind's UI for results and filters, driven by the page's own search box and ?q=,
// so that a search is a shareable URL. Before searching, the query is converted to Simplified
// characters (every report is indexed in Simplified: Traditional ones carry a Simplified copy)
// and split into words, because Pagefind does not segment a Chinese query itself.
// The index may be in parts, merged as queries need them (search-parts/pagefind.js).
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root) return;
  var here = document.currentScript ? document.currentScript.src : location.href;
  var assets = new URL("./", here);
  var bundle = new URL("../pagefind/", assets);
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var t2s = {};
  var simplifiedOnly = {};
  var segmenter = null;
  try {
    segmenter = new Intl.Segmenter("zh", { granularity: "word" });
  } catch (e) {
    segmenter = null;
  }

  function toSimplified(text) {
    var out = "";
    for (var ch of text) out += t2s[ch] || ch;
    return out;
  }

  function words(text) {
    if (!segmenter) return text.split(/\s+/).filter(Boolean);
    var out = [];
    for (var s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment);
    return out;
  }

  // The term Pagefind searches for: NFKC (full-width digits → ASCII), Simplified, one word per space.
  function prepare(term) {
    return words(toSimplified(String(term || "").normalize("NFKC"))).join(" ");
  }
  window.govSearchPrepare = prepare;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function loadMap() {
    return fetch(new URL("t2s.json", assets).href)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var t = Array.from(data.t), s = Array.from(data.s);
        for (var i = 0; i < t.length && i < s.length; i++) t2s[t[i]] = s[i];
        for (var j = 0; j < s.length; j++) if (!(s[j] in t2s)) simplifiedOnly[s[j]] = true;
      })
      .catch(function () {});
  }

  // Language tags of the results: a title is in its report's script (Pagefind meta
  // ``title_lang``); an excerpt or a heading of a Traditional report may come from its text or
  // from its Simplified copy, so it is tagged by the characters it holds.
  var pageLangs = {};

  function remember(result) {
    var meta = (result && result.meta) || {};
    if (result && result.url) {
      pageLangs[result.url.split("#")[0]] = { lang: meta.lang, title_lang: meta.title_lang };
    }
    delete meta.lang; // not shown as tags under the result
    delete meta.title_lang;
    return result;
  }

  function scriptOf(text, fallback) {
    var simplified = false;
    for (var ch of text) {
      if (t2s[ch] && t2s[ch] !== ch) return "zh-Hant";
      if (simplifiedOnly[ch]) simplified = true;
    }
    return simplified ? "zh-Hans" : fallback;
  }

  function tagLanguages() {
    root.querySelectorAll(".pagefind-ui__result-link").forEach(function (link) {
      var meta = pageLangs[(link.getAttribute("href") || "").split("#")[0]];
      if (!meta || !meta.lang) return;
      var item = link.closest(".pagefind-ui__result-nested, .pagefind-ui__result");
      var nested = item && item.classList.contains("pagefind-ui__result-nested");
      var title = link.closest(".pagefind-ui__result-title") || link;
      var hant = meta.lang === "zh-Hant";
      var lang = !nested ? meta.title_lang || meta.lang : hant ? scriptOf(title.textContent, meta.lang) : meta.lang;
      if (title.getAttribute("lang") !== lang) title.setAttribute("lang", lang);
      var excerpt = item && item.querySelector(":scope > .pagefind-ui__result-excerpt, :scope > .pagefind-ui__result-inner > .pagefind-ui__result-excerpt");
      if (excerpt) {
        var el = hant ? scriptOf(excerpt.textContent, meta.lang) : meta.lang;
        if (excerpt.getAttribute("lang") !== el) excerpt.setAttribute("lang", el);
      }
    });
  }
  new MutationObserver(tagLanguages).observe(root, { childList: true, subtree: true, characterData: true });

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("pagefind-ui.css", bundle).href;
  document.head.appendChild(css);

  function setUrl(q) {
    var url = new URL(location.href);
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    if (url.href !== location.href) history.replaceState(null, "", url.href);
  }

  Promise.all([loadScript(new URL("pagefind-ui.js", bundle).href), loadMap()]).then(function () {
    var ui = new PagefindUI({
      element: "#search",
      // The UI loads the search API from here: Pagefind's own, made to search a site's index
      // in parts as one index, loading only the parts a query needs (search-parts/pagefind.js).
      bundlePath: new URL("search-parts/", assets).pathname,
      showSubResults: true,
      showImages: false,
      debounceTimeoutMs: 0,
      processTerm: prepare,
      processResult: remember,
      translations: { placeholder: "搜索报告全文" },
    });
    var last = null;
    // A query found in very many reports is searched first in some of them, and an issuer's
    // name is answered first with the issuer's page (search-parts/pagefind.js says so with
    // `govsearch:scope`); the page says so and offers a search of every report's text.
    var scopeText = document.getElementById("search-scope");
    var widen = document.getElementById("search-widen");
    var again = false;
    function current() {
      return input ? input.value.trim() : "";
    }
    function count(n) {
      return Number(n || 0).toLocaleString("zh-CN");
    }
    window.addEventListener("govsearch:scope", function (e) {
      var d = e.detail || {};
      if (!scopeText || !widen || d.term !== prepare(current()).trim()) return;
      if (d.complete) {
        scopeText.textContent = "";
        widen.hidden = true;
        return;
      }
      if (d.issuers && d.issuers.length) {
        var one = d.issuers[0];
        scopeText.textContent =
          d.issuers.length > 1
            ? "“" + current() + "”是 " + d.issuers.length + " 个机关的名称：先给出它们的机关页面。"
            : "“" + one.name + "”是一个机关的名称：先给出它的机关页面（它有 " + count(one.reports) + " 份报告）。";
        scopeText.textContent += "也可以在全部报告的正文中搜索这个名称。";
        widen.hidden = false;
        return;
      }
      scopeText.textContent =
        "这些词见于很多报告：本次先在 " + count(d.searched) + " 份报告（全站 " + count(d.total) +
        " 份）中搜索，结果数和筛选项的数字只计这些报告。";
      widen.hidden = false;
    });
    if (widen) {
      widen.addEventListener("click", function () {
        var q = current();
        window.dispatchEvent(new CustomEvent("govsearch:widen", { detail: prepare(q) }));
        widen.hidden = true;
        scopeText.textContent = "正在全部报告中搜索……";
        // The same query again: the UI searches only when its term changes, and a trailing
        // space (which prepare drops) changes it.
        again = !again;
        ui.triggerSearch(again ? q + " " : q);
      });
    }
    function run() {
      var q = current();
      setUrl(q);
      if (q === last) return;
      last = q;
      ui.triggerSearch(q);
    }
    var initial = new URLSearchParams(location.search).get("q") || "";
    if (input) {
      input.value = initial;
      var timer = null;
      var schedule = function (e) {
        if (e && e.isComposing) return;
        clearTimeout(timer);
        timer = setTimeout(run, 250);
      };
      input.addEventListener("input", schedule);
      input.addEventListener("compositionend", schedule);
      if (!initial) input.focus();
    }
    if (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        clearTimeout(timer);
        run();
      });
    }
    if (initial) {
      last = initial;
      ui.triggerSearch(initial);
    }
  });
})();
