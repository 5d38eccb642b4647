"""Server-rendered pages: search and article. Logic stays in kb; this only presents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.audience import may_read, readable_audiences
from weibao.kb.presenters import hit_payload
from weibao.kb.search import SearchOptions
from weibao.kb.validation import InvalidParameter, check_query, make_filters
from weibao.web.api.graph import GraphDep
from weibao.web.audience_filter import hidden_articles, neighbourhood_without, related_without
from weibao.web.deps import Caller, KnowledgeBaseDep
from weibao.web.highlight import mark_passage
from weibao.web.i18n import request_lang, translator
from weibao.web.markdown import render_markdown
from weibao.web.query_log import record_search
from weibao.web.security.policy import Permission, allows
from weibao.web.security.ratelimit import has_query, rate_limit
from weibao.web.system_graph import graph_data
from weibao.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get(
    "/", response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search", when=has_query))],
)
def search_page(
    request: Request, kb: KnowledgeBaseDep, background: BackgroundTasks,
    caller: Caller = Permission("kb.read"),
) -> Response:
    params = request.query_params
    q = params.get("q", "")
    form = {k: params.get(k, "") for k in ("system", "symptom", "audience", "doc_lang")}
    context: dict[str, object] = {"q": q, "form": form, "results": None, "error": None}
    if q.strip():
        try:
            query = check_query(q)
            filters = make_filters(
                form["system"], form["symptom"], form["audience"], form["doc_lang"],
                readable=readable_audiences(caller.role),
            )
        except InvalidParameter as exc:
            context["error"] = str(exc)
            return render(request, "search.html", status_code=422, **context)
        result = kb.search_linked(query, SearchOptions(top_k=10, filters=filters))
        record_search(background, request, caller, kb, result)  # knowledge gaps
        lang = request_lang(request)
        context["results"] = _listed(
            [hit_payload(h, lang) for h in result.hits], _search_query(params))
        context["took_ms"] = result.took_ms
        context["understood"] = result.understanding
    return render(request, "search.html", status_code=200, **context)


SEARCH_KEYS = ("q", "system", "symptom", "audience", "doc_lang")


def _search_query(params: Mapping[str, str]) -> str:
    """The search's own query string, for links out of the results and back to them."""
    return urlencode({k: params[k][:1000] for k in SEARCH_KEYS if params.get(k)})


def _listed(results: list[dict[str, object]], query: str) -> list[dict[str, object]]:
    """Each document once (the first, best-ranked hit), linked with the search's query so
    its page can mark the matched passage and lead back to these results."""
    seen: set[object] = set()
    listed = []
    for result in results:
        if result["url"] in seen:
            continue
        seen.add(result["url"])
        listed.append({**result, "href": f"{result['url']}?{query}" if query else result["url"]})
    return listed


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, article_id: str, kb: KnowledgeBaseDep,
    caller: Caller = Permission("kb.read"),
) -> Response:
    drafts = allows("articles.read_drafts", caller.role, public_search=False)
    article = kb.get_article(article_id, include_drafts=drafts)
    if article is None or not may_read(caller.role, article.audience):
        return render(request, "not_found.html", status_code=404)
    body_html, matched = render_markdown(article.body), False
    q = request.query_params.get("q", "")[:1000]
    if q.strip():
        body_html, matched = mark_passage(body_html, kb.tokenizer.segment(q) + kb.tokenizer.tokens(q))
    back = _search_query(request.query_params)
    return render(
        request,
        "article.html",
        article=article,
        body_html=body_html,
        matched=matched,
        back_href=f"/?{back}" if back else "/",
        history=kb.article_history(article_id),
        # Signed-in readers it did not help file a ticket that records they read it.
        may_report=not caller.is_anonymous and allows("tickets.create", caller.role, public_search=False),
    )


@router.get("/systems/{system_id}", response_class=HTMLResponse)
def system_page(
    request: Request, system_id: str, graph: GraphDep, kb: KnowledgeBaseDep,
    caller: Caller = Permission("kb.read"),
) -> Response:
    """A system's neighbourhood drawn server-side: symptoms, fixes and the articles."""
    from weibao.graph.svg import render_neighbourhood_svg

    if system_id not in SYSTEMS or graph is None:
        return render(request, "not_found.html", status_code=404)
    lang = request_lang(request)
    hidden = hidden_articles(kb, caller.role)
    neighbourhood = neighbourhood_without(graph.neighbourhood(system_id), hidden)
    svg = render_neighbourhood_svg(neighbourhood, lang=lang)
    related = related_without(graph.related(system_id, None, 10), hidden)
    t = translator(lang)
    drawing = graph_data(
        system_id, SYSTEMS[system_id].name(lang), related,
        lambda symptom: SYMPTOMS[symptom].name(lang) if symptom in SYMPTOMS else symptom,
        {"system": t("systems"), "symptom": t("symptoms"), "fix": t("fixes"), "article": t("articles")},
    )
    return render(
        request, "system.html", system_id=system_id, svg=svg, neighbourhood=neighbourhood,
        related=related, graph_json=json.dumps(drawing, ensure_ascii=False),
        # Who fixed what is the vendor's business, not a visitor's.
        show_engineers=allows("tickets.read_all", caller.role, public_search=False),
    )
