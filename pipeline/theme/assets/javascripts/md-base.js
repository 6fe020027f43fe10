// mkdocs-material 9.8.2: the inline script of partials/javascripts/base.html, served as a file so that
// the site's Content-Security-Policy needs no 'unsafe-inline' (pipeline/theme/main.html).
// The scope, which Material writes into the script, comes from the tag's data-md-scope.
__md_scope=new URL(document.currentScript.dataset.mdScope,location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}}
