// mkdocs-material 9.8.2: the inline script of partials/javascripts/content.html (feature
// content.tabs.link), served as a file so that the site's Content-Security-Policy needs no
// 'unsafe-inline' (pipeline/theme/main.html).
var tabs=__md_get("__tabs");if(Array.isArray(tabs))e:for(var set of document.querySelectorAll(".tabbed-set")){var labels=set.querySelector(".tabbed-labels");for(var tab of tabs)for(var label of labels.getElementsByTagName("label"))if(label.innerText.trim()===tab){var input=document.getElementById(label.htmlFor);input.checked=!0;continue e}}
