// mkdocs-material 9.8.2: the inline script of partials/javascripts/content.html, served as a file so that
// the site's Content-Security-Policy needs no 'unsafe-inline' (pipeline/theme/main.html).
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
