// Search page: Pagefind's UI, driven by ?q= so that a search is a shareable URL.
(function () {
  var root = document.getElementById("search");
  if (!root) return;
  var base = new URL("../pagefind/", document.currentScript ? document.currentScript.src : location.href);
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("pagefind-ui.css", base).href;
  document.head.appendChild(css);
  var s = document.createElement("script");
  s.src = new URL("pagefind-ui.js", base).href;
  s.onload = function () {
    var ui = new PagefindUI({ element: "#search", showSubResults: true, showImages: false, bundlePath: base.href });
    var q = new URLSearchParams(location.search).get("q");
    if (q) ui.triggerSearch(q);
  };
  document.head.appendChild(s);
})();
